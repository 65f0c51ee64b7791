"""Every attendee's state for a whole event, with the check-in table this feature owns.

:mod:`web.attendees.states` defines the states; this module feeds it check-ins in one query
per event (the attendee list, the overview, re-plans and revisions all need the lot at once)
and answers the lower features' questions: the attendees' ``checked_in_lookup`` and
``removal_holds`` (a checked-in person stays), the events' ``collect_counts`` (how many are
checked in) and ``collect_attention``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from flask import url_for
from sqlalchemy import func, select

from web.attendees.models import Attendee, attendees_of
from web.attendees.signals import checked_in_lookup, removal_holds
from web.attendees.states import AttendeeState, StateRules
from web.checkin.models import CheckIn
from web.checkin.services import next_round
from web.events.models import Event
from web.events.signals import AttentionItem, collect_attention, collect_counts
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.types import utcnow


def active_checkin_ids(event_id: int, attendee_ids: Collection[int] | None = None) -> set[int]:
    """Attendee ids of the event with a check-in that was not annulled."""
    stmt = select(CheckIn.attendee_id).where(CheckIn.event_id == event_id, CheckIn.active)
    if attendee_ids is not None:
        if not attendee_ids:
            return set()
        stmt = stmt.where(CheckIn.attendee_id.in_(list(attendee_ids)))
    return set(db.session.scalars(stmt))


@checked_in_lookup.connect
def _answer_checked_in_lookup(_sender: Any, *, event_id: int,
                              attendee_ids: Collection[int] | None = None, **_: Any) -> set[int]:
    return active_checkin_ids(event_id, attendee_ids)


@removal_holds.connect
def _checked_in_stay(_sender: Any, *, attendee_ids: Collection[int], **_: Any) -> dict[int, str]:
    """A person checked in must not vanish from the door's records."""
    held = db.session.scalars(select(CheckIn.attendee_id).where(
        CheckIn.attendee_id.in_(list(attendee_ids)), CheckIn.active))
    return {attendee_id: "checked in" for attendee_id in held}


@collect_counts.connect
def _count_checked_in(_sender: Any, *, event: Event, **_: Any) -> dict[str, int]:
    count = db.session.scalar(select(func.count()).select_from(CheckIn)
                              .where(CheckIn.event_id == event.id, CheckIn.active))
    return {"checked_in": count or 0}


def _event_attendees(event: Event) -> list[Attendee]:
    return list(db.session.scalars(attendees_of(event.id).order_by(Attendee.badge_number)))


def states_for_event(event: Event, now: dt.datetime | None = None,
                     attendees: list[Attendee] | None = None) -> dict[int, AttendeeState]:
    """Attendee row id -> state, for every attendee of the event (two queries)."""
    now = now or utcnow()
    rows = _event_attendees(event) if attendees is None else attendees
    checked = active_checkin_ids(event.id)
    rules = StateRules.of(event)
    return {a.id: rules.state(a, checked_in=a.id in checked, now=now) for a in rows}


def expected_attendees(event: Event, now: dt.datetime | None = None) -> list[Attendee]:
    """Who the rounds to come are planned for: checked in, or registered and not yet a
    no-show (badge order)."""
    rows = _event_attendees(event)
    states = states_for_event(event, now, rows)
    return [a for a in rows if states[a.id].expected]


# --------------------------------------------------------------------------- attention

NAMES_SHOWN = 5


def _names(rows: list[Attendee]) -> str:
    shown = ", ".join(a.name for a in rows[:NAMES_SHOWN])
    return shown + (f" and {len(rows) - NAMES_SHOWN} more" if len(rows) > NAMES_SHOWN else "")


def _holders_from(event: Event, from_round: int) -> set[int] | None:
    """Attendee ids with a published meeting in ``from_round..rounds`` (in range of the
    event's tables); None without a published schedule."""
    version_id = db.session.scalar(select(ScheduleVersion.id).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == VersionStatus.PUBLISHED))
    if version_id is None:
        return None
    stmt = select(ScheduleMeeting.a_id, ScheduleMeeting.b_id).where(
        ScheduleMeeting.version_id == version_id, ScheduleMeeting.round >= from_round,
        ScheduleMeeting.round <= event.rounds)
    if event.tables:
        stmt = stmt.where(ScheduleMeeting.table <= event.tables)
    holders: set[int] = set()
    for a_id, b_id in db.session.execute(stmt):
        holders.update((a_id, b_id))
    return holders


@collect_attention.connect
def _attendee_attention(_sender: Any, *, event: Event, now: dt.datetime | None = None,
                        **_: Any) -> list[AttentionItem]:
    """Expected people the published schedule has no meeting for in the rounds to come, and
    withdrawn people or people who left who still hold meetings there."""
    now = now or utcnow()
    upcoming = next_round(event, now)
    if upcoming is None:
        return []
    holders = _holders_from(event, upcoming)
    if holders is None:
        return []
    rows = _event_attendees(event)
    states = states_for_event(event, now, rows)
    missing = [a for a in rows if states[a.id].expected and a.id not in holders]
    gone = [a for a in rows if states[a.id] in (AttendeeState.WITHDRAWN, AttendeeState.LEFT)
            and a.id in holders]
    schedule_url = url_for("schedules.overview", slug=event.slug)
    items = []
    if missing:
        items.append(AttentionItem(
            f"{len(missing)} expected attendee{'s have' if len(missing) != 1 else ' has'} no "
            f"meeting in the published schedule from round {upcoming}: {_names(missing)}",
            schedule_url, "Revise the schedule", rank=0))
    if gone:
        items.append(AttentionItem(
            f"{len(gone)} withdrawn or departed attendee{'s still hold' if len(gone) != 1 else ' still holds'} "
            f"meetings from round {upcoming}: {_names(gone)}",
            schedule_url, "Revise the schedule", rank=0))
    return items
