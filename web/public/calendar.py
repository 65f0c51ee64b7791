"""The personal calendar file (/me/<token>/agenda.ics).

Calendar apps match events by UID and apply a change only when SEQUENCE grows, so:

* one VEVENT per (attendee, round): its UID is a hash of the personal token and the round
  number (stable across re-publishes, and it reveals nothing about the person);
* SEQUENCE counts how often that slot's content (partner, table) changed over the event's
  published versions, in publishing order, plus how often the event's timetable changed (a
  delay on the day, an edited start), so moved times reach calendars too;
* a slot that had a meeting in an earlier published version but has none now is sent with
  STATUS:CANCELLED and a higher SEQUENCE, so the old entry disappears instead of lingering.

Times carry the event's TZID with a VTIMEZONE block.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import icalendar
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from scheduler.scoring import explain_for
from web.attendees.models import Attendee
from web.events.clock import event_zone
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.types import utcnow

PRODID = "-//speednet//partner speed networking//EN"


def slot_uid(token: str, round_number: int) -> str:
    digest = hashlib.sha256(f"speednet-calendar:{token}:{round_number}".encode()).hexdigest()
    return f"{digest[:32]}@speednet"


@dataclass(frozen=True)
class SlotState:
    """One round of one attendee as a calendar app should see it."""

    round: int
    sequence: int
    meeting: ScheduleMeeting | None     # None = cancelled (had a meeting once, has none now)


def published_history(event: Event) -> list[ScheduleVersion]:
    """Every version attendees have seen, in publishing order (the published one last)."""
    return list(db.session.scalars(
        select(ScheduleVersion)
        .where(ScheduleVersion.event_id == event.id, ScheduleVersion.published_at.is_not(None))
        .order_by(ScheduleVersion.published_at, ScheduleVersion.number)
    ))


def slot_states(attendee: Attendee) -> list[SlotState]:
    """The attendee's slots worth a VEVENT, with their SEQUENCE, in round order."""
    history = published_history(attendee.event)
    current = next((v for v in history if v.status == VersionStatus.PUBLISHED), None)
    if current is not None and history[-1] is not current:  # re-published an old version
        history = [v for v in history if v is not current] + [current]
    # Both people of each meeting come in the same query (the calendar names the partner).
    meetings = list(db.session.scalars(
        select(ScheduleMeeting).where(
            ScheduleMeeting.version_id.in_([v.id for v in history]),
            or_(ScheduleMeeting.a_id == attendee.id, ScheduleMeeting.b_id == attendee.id),
        ).options(joinedload(ScheduleMeeting.a), joinedload(ScheduleMeeting.b))
    ).unique()) if history else []
    by_version: dict[int, dict[int, ScheduleMeeting]] = {}
    for meeting in meetings:
        by_version.setdefault(meeting.version_id, {})[meeting.round] = meeting

    def content(meeting: ScheduleMeeting | None) -> tuple[int, int] | None:
        if meeting is None:
            return None
        partner = meeting.b_id if meeting.a_id == attendee.id else meeting.a_id
        return partner, meeting.table

    rounds = sorted({m.round for m in meetings})
    states = []
    for number in rounds:
        seen, sequence, previous = False, 0, None
        for version in history:
            now = content(by_version.get(version.id, {}).get(number))
            if seen and now != previous:
                sequence += 1
            seen = seen or now is not None
            previous = now
        latest = by_version.get(current.id, {}).get(number) if current is not None else None
        states.append(SlotState(number, sequence, latest))
    return states


def calendar_for(attendee: Attendee) -> bytes:
    """The ``.ics`` bytes for one attendee (an empty calendar before anything is published)."""
    event = attendee.event
    info = event.event_info()
    timetable = info.timetable
    zone = event_zone(event.timezone)
    viewer = attendee.to_domain()
    weights = event.scoring_weights()

    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"{event.name}: speed networking")
    stamp = utcnow().replace(microsecond=0)
    for state in slot_states(attendee):
        if state.round > timetable.rounds:
            continue
        vevent = icalendar.Event()
        vevent.add("uid", slot_uid(attendee.token, state.round))
        vevent.add("sequence", state.sequence + event.timetable_revision)
        vevent.add("dtstamp", stamp)
        vevent.add("dtstart", timetable.round_start(state.round).replace(tzinfo=zone))
        vevent.add("dtend", timetable.round_end(state.round).replace(tzinfo=zone))
        meeting = state.meeting
        if meeting is None:
            vevent.add("summary", f"Cancelled: {event.name} round {state.round}")
            vevent.add("status", "CANCELLED")
            vevent.add("description", "This meeting is no longer in your schedule.")
        else:
            partner_row = meeting.b if meeting.a_id == attendee.id else meeting.a
            partner = partner_row.to_domain()
            table = info.table_label(meeting.table)
            vevent.add("summary", f"Meet {partner.name} ({partner.company}), table {table}")
            vevent.add("status", "CONFIRMED")
            vevent.add("location", ", ".join(x for x in (event.venue, f"table {table}") if x))
            details = [f"{event.name}, round {state.round}, table {table}",
                       f"{partner.name}, {partner.company}",
                       ", ".join(x for x in (partner.region, partner.partner_type) if x),
                       explain_for(viewer, partner, weights)]
            vevent.add("description", "\n".join(x for x in details if x))
        cal.add_component(vevent)
    cal.add_missing_timezones()
    return cal.to_ical()
