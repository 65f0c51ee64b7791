"""What a change of event settings would break in the published schedule, what about the
schedules needs the organiser's attention, the overview's schedule figures, an event's
deletion and an attendee's removal. Events and attendees are lower features, so they ask
through their signals (:mod:`web.events.signals`, :mod:`web.attendees.signals`) and these
receivers answer from the stored versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import url_for
from sqlalchemy import delete, func, or_, select

from scheduler.domain import Timetable
from web.attendees.signals import removal_holds
from web.events.models import Event
from web.events.services import EventDataError, EventInput, parse_breaks
from web.events.signals import (
    AttentionItem,
    SettingsConflict,
    collect_attention,
    collect_counts,
    event_deleting,
    settings_changing,
)
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.schedules.versions import in_event_range, is_published, published_version
from web.wording import plural


@dataclass(frozen=True)
class PublishedMeeting:
    round: int
    table: int
    a_id: int
    b_id: int


def _published(event_id: int) -> tuple[ScheduleVersion | None, list[PublishedMeeting]]:
    version = published_version(event_id)
    if version is None:
        return None, []
    rows = db.session.execute(
        select(ScheduleMeeting.round, ScheduleMeeting.table, ScheduleMeeting.a_id,
               ScheduleMeeting.b_id).where(ScheduleMeeting.version_id == version.id)).all()
    return version, [PublishedMeeting(*row) for row in rows]


def _span(numbers: list[int]) -> str:
    low, high = min(numbers), max(numbers)
    return str(low) if low == high else f"{low}-{high}"


def _which(word: str, numbers: list[int]) -> str:
    """``round 8 holds`` / ``rounds 7-8 hold``."""
    span = _span(numbers)
    return f"{word} {span} holds" if "-" not in span else f"{word}s {span} hold"


def _rounds(numbers: list[int]) -> str:
    span = _span(numbers)
    return f"round {span}" if "-" not in span else f"rounds {span}"


def _new_timetable(event: Event, new: EventInput) -> Timetable | None:
    """The timetable the event would have with ``new`` (clock and delay kept); None when the
    new breaks do not parse (saving then refuses them with a message of its own)."""
    try:
        breaks = parse_breaks(new.breaks_text, new.rounds)
    except EventDataError:
        return None
    draft = Event(start=dt.datetime.combine(new.date, new.start_time), timezone=event.timezone,
                  rounds=new.rounds, round_minutes=new.round_minutes,
                  changeover_minutes=new.changeover_minutes, breaks=breaks,
                  clock_started_at=event.clock_started_at, delay_minutes=event.delay_minutes,
                  delay_after_round=event.delay_after_round)
    return draft.timetable()


def rounds_conflict(meetings: list[PublishedMeeting], rounds: int) -> SettingsConflict | None:
    cut = [m for m in meetings if m.round > rounds]
    if not cut:
        return None
    people = {m.a_id for m in cut} | {m.b_id for m in cut}
    return SettingsConflict("rounds", (
        f"{_which('round', [m.round for m in cut])} {plural(len(cut), 'published meeting')} "
        f"of {plural(len(people), 'attendee')}: they would disappear from agendas"))


def tables_conflict(meetings: list[PublishedMeeting], rounds: int, tables: int
                    ) -> SettingsConflict | None:
    if tables <= 0:  # as many as needed: no table is cut
        return None
    cut = [m for m in meetings if m.round <= rounds and m.table > tables]
    if not cut:
        return None
    return SettingsConflict("tables", (
        f"{_which('table', [m.table for m in cut])} {plural(len(cut), 'published meeting')} "
        f"in {_rounds([m.round for m in cut])}: those tables would no longer exist"))


def times_conflict(meetings: list[PublishedMeeting], old: Timetable, new: Timetable | None
                   ) -> SettingsConflict | None:
    if new is None:
        return None
    kept = min(old.rounds, new.rounds)
    moved_rounds = {r for r in range(1, kept + 1)
                    if (old.round_start(r), old.round_end(r)) != (new.round_start(r), new.round_end(r))}
    moved = [m for m in meetings if m.round in moved_rounds]
    if not moved:
        return None
    return SettingsConflict("times", (
        f"times of {plural(len(moved), 'published meeting')} move "
        f"({_rounds([m.round for m in moved])}): printed agendas show the old times"))


@settings_changing.connect
def _settings_conflicts(_sender: Any, *, event: Event, new: EventInput, **_: Any
                        ) -> list[SettingsConflict]:
    """Conflicts of the new settings with the published schedule (none without one)."""
    version, meetings = _published(event.id)
    if version is None or not meetings:
        return []
    found = [
        rounds_conflict(meetings, new.rounds),
        tables_conflict(meetings, new.rounds, new.tables),
        times_conflict(meetings, event.timetable(), _new_timetable(event, new)),
    ]
    return [c for c in found if c is not None]


def out_of_range(event: Event, meetings: list[PublishedMeeting]) -> list[PublishedMeeting]:
    """Published meetings the event's current rounds or tables no longer have."""
    return [m for m in meetings if not in_event_range(event, m.round, m.table)]


@collect_attention.connect
def _schedule_attention(_sender: Any, *, event: Event, **_: Any) -> list[AttentionItem]:
    """Drafts newer than the published version; a published schedule out of range."""
    items: list[AttentionItem] = []
    version, meetings = _published(event.id)
    newer = select(func.count()).select_from(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.status == VersionStatus.DRAFT)
    if version is not None:
        newer = newer.where(ScheduleVersion.number > version.number)
    drafts = db.session.scalar(newer) or 0
    schedule_url = url_for("schedules.overview", slug=event.slug)
    if drafts:
        what = "newer than the published version" if version is not None else "and none published"
        items.append(AttentionItem(f"{plural(drafts, 'unpublished draft')} {what}",
                                   schedule_url, "Review and publish"))
    cut = out_of_range(event, meetings) if version is not None else []
    if cut and version is not None:
        items.append(AttentionItem(
            f"The published schedule (version {version.number}) has {plural(len(cut), 'meeting')} "
            f"outside the event's {plural(event.rounds, 'round')}"
            + (f" and {plural(event.tables, 'table')}" if event.tables else "")
            + ": not shown on agendas and exports; the published schedule needs a revision",
            schedule_url, "Revise"))
    return items


@collect_counts.connect
def _schedule_counts(_sender: Any, *, event: Event, **_: Any) -> dict[str, Any]:
    """The published version's number, the drafts and every stored version."""
    published = db.session.scalar(
        select(ScheduleVersion.number).where(is_published(event.id)))
    by_status = dict(db.session.execute(
        select(ScheduleVersion.status, func.count()).where(ScheduleVersion.event_id == event.id)
        .group_by(ScheduleVersion.status)).all())
    drafts = by_status.get(VersionStatus.DRAFT, 0)
    return {"schedule_status": "published" if published is not None else ("draft" if drafts else "none"),
            "published_version": published, "draft_versions": drafts,
            "versions": sum(by_status.values())}


@event_deleting.connect
def _delete_versions(_sender: Any, *, event: Event, **_: Any) -> None:
    """Versions go before the event's cascade: their meetings refer to attendees without one."""
    db.session.execute(delete(ScheduleVersion).where(ScheduleVersion.event_id == event.id))


@removal_holds.connect
def _scheduled_stay(_sender: Any, *, attendee_ids: list[int], **_: Any) -> dict[int, str]:
    """Someone in any stored version stays: removing them would rewrite that schedule."""
    ids = set(attendee_ids)
    held: dict[int, str] = {}
    for a_id, b_id in db.session.execute(select(ScheduleMeeting.a_id, ScheduleMeeting.b_id).where(
            or_(ScheduleMeeting.a_id.in_(attendee_ids), ScheduleMeeting.b_id.in_(attendee_ids)))):
        held.update({person: "in a stored schedule" for person in (a_id, b_id) if person in ids})
    return held
