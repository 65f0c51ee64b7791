"""What the door adds to the event overview's "needs attention": people the published schedule
and the people in the room disagree about, read through :mod:`web.attendees.presence`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import url_for
from sqlalchemy import select

from web.attendees.models import Attendee
from web.attendees.presence import Presence, attends, presence
from web.attendees.states import AttendeeState
from web.events.models import Event
from web.events.signals import AttentionItem, collect_attention
from web.extensions import db
from web.schedules.models import ScheduleMeeting
from web.schedules.versions import in_rounds_and_tables_sql, published_version
from web.types import utcnow
from web.wording import names_and_more, plural


def _held_rounds_from(event: Event, from_round: int) -> dict[int, set[int]] | None:
    """Attendee id -> rounds of their published meetings in ``from_round..rounds`` (in range of
    the event's tables); None without a published schedule."""
    version = published_version(event)
    if version is None:
        return None
    stmt = select(ScheduleMeeting.a_id, ScheduleMeeting.b_id, ScheduleMeeting.round).where(
        ScheduleMeeting.version_id == version.id, ScheduleMeeting.round >= from_round,
        in_rounds_and_tables_sql(event.rounds, event.tables or 0))
    held: dict[int, set[int]] = {}
    for a_id, b_id, round_number in db.session.execute(stmt):
        held.setdefault(a_id, set()).add(round_number)
        held.setdefault(b_id, set()).add(round_number)
    return held


def _item(rows: list[Attendee], what: str, url: str) -> AttentionItem:
    return AttentionItem(f"{what}: {names_and_more([a.name for a in rows])}", url, "Revise the schedule", rank=0)


def attention_items(event: Event, now: dt.datetime, here: Presence | None = None) -> list[AttentionItem]:
    """Expected people without a table to come; withdrawn people, people who left and no-shows
    who still hold meetings (their partners face an empty chair); people holding meetings in
    rounds they can no longer attend (their availability changed after the publish)."""
    here = here or presence(event, now)
    upcoming = here.first_open_round
    if upcoming is None:
        return []
    held = _held_rounds_from(event, upcoming)
    if held is None:
        return []
    open_rounds = range(upcoming, event.rounds + 1)
    missing = [a for a in here.expected if a.id not in held and any(attends(a, r) for r in open_rounds)]
    gone = [a for a in here.with_state(AttendeeState.WITHDRAWN, AttendeeState.LEFT, AttendeeState.NO_SHOW)
            if a.id in held]
    unavailable = [a for a in here.expected if any(not attends(a, r) for r in held.get(a.id, ()))]
    url = url_for("schedules.overview", slug=event.slug)
    items = []
    if missing:
        items.append(_item(missing, f"No published meeting from round {upcoming} for "
                                    f"{plural(len(missing), 'expected attendee')}", url))
    if gone:
        items.append(_item(gone, f"Published meetings from round {upcoming} held by "
                                 f"{plural(len(gone), 'attendee')} who withdrew, went home or did not come", url))
    if unavailable:
        items.append(_item(unavailable, f"Published meetings from round {upcoming} in rounds they can no "
                                        f"longer attend, for {plural(len(unavailable), 'attendee')}", url))
    return items


@collect_attention.connect
def _attendee_attention(_sender: Any, *, event: Event, now: dt.datetime | None = None,
                        **_: Any) -> list[AttentionItem]:
    return attention_items(event, now or utcnow())
