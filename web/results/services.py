"""What happened at an event, for the organiser's report and the follow-up afterwards.

Attendance comes from the check-ins (undone ones do not count); withdrawn people are out of
every count (the export still lists them, marked). Meetings come from the published schedule,
which after a live re-plan is the schedule the room actually ran. A meeting counts as *held*
when its round has ended and both people had checked in before it ended: speednet cannot see
who sat down, and a person who came to the door after the round cannot have met anyone in it.

Everything here works without a request; the exports pass every cell through the scheduler's
formula neutralisation (``scheduler.spreadsheet.write_table``).
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select

from scheduler.domain import Timetable, normalise_company
from scheduler.spreadsheet import write_table
from web.attendees.models import Attendee, attendees_of
from web.checkin.services import list_checkins, local_time
from web.downloads import SPREADSHEET_FORMATS
from web.events.clock import round_instants
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.versions import published_version
from web.types import utcnow

TABLES = ("attendance", "meetings")
SOURCES = {"import": "Imported", "registration": "Registered online", "walk-in": "Walk-in"}

ATTENDANCE_COLUMNS = (
    "id", "name", "company", "title", "email", "country", "region", "partner_type", "source",
    "badge_number", "withdrawn", "checked_in", "checked_in_at", "kiosk", "checked_in_by", "meetings",
    "meetings_held",
)
MEETING_COLUMNS = (
    "round", "table", "start", "a_id", "a_name", "a_company", "a_email", "b_id", "b_name",
    "b_company", "b_email", "held", "reason",
)


@dataclass(frozen=True)
class Arrival:
    """The check-in that counts for one attendee (the first one not undone)."""

    local: str  # YYYY-MM-DD HH:MM in the event's time zone
    kiosk: str
    staff: str
    at: dt.datetime  # the instant (aware), for "checked in before the round ended"


@dataclass(frozen=True)
class SourceCount:
    label: str
    expected: int
    checked_in: int


@dataclass(frozen=True)
class ResultsSummary:
    expected: int
    checked_in: int
    by_source: list[SourceCount]
    published_number: int | None
    meetings: int
    meetings_ended: int  # in rounds that have ended
    meetings_held: int
    cross_region_held: int
    companies_met: int  # distinct pairs of companies that met in a held meeting

    @property
    def not_checked_in(self) -> int:
        return self.expected - self.checked_in

    @staticmethod
    def share(part: int, whole: int) -> str:
        return f"{100 * part / whole:.0f}%" if whole else "-"


@dataclass(frozen=True)
class _Facts:
    """Everything the summary and the exports read, loaded with four queries."""

    attendees: list[Attendee]
    arrivals: dict[int, Arrival]
    version: ScheduleVersion | None
    meetings: list[ScheduleMeeting]
    round_ends: dict[int, dt.datetime]
    now: dt.datetime

    def ended(self, meeting: ScheduleMeeting) -> bool:
        end = self.round_ends.get(meeting.round)
        return end is not None and end <= self.now

    def held(self, meeting: ScheduleMeeting) -> bool:
        """Its round has ended, and both people had checked in before its end."""
        if not self.ended(meeting):
            return False
        end = self.round_ends[meeting.round]
        return all(person in self.arrivals and self.arrivals[person].at < end
                   for person in (meeting.a_id, meeting.b_id))

    @property
    def counted(self) -> list[Attendee]:
        """The people the event counts on: everyone not withdrawn."""
        return [a for a in self.attendees if a.withdrawn_at is None]


def _facts(event: Event, now: dt.datetime | None = None) -> _Facts:
    attendees = list(db.session.scalars(
        attendees_of(event.id).order_by(Attendee.name, Attendee.ext_id)))
    arrivals: dict[int, Arrival] = {}
    for entry in list_checkins(event):  # oldest first
        if entry.annulled_at is None:
            arrivals.setdefault(entry.attendee_id, Arrival(
                f"{local_time(event, entry.created_at):%Y-%m-%d %H:%M}", entry.device, entry.staff or "",
                entry.created_at))
    version = published_version(event)
    meetings = [] if version is None else list(db.session.scalars(
        select(ScheduleMeeting).where(ScheduleMeeting.version_id == version.id)
        .order_by(ScheduleMeeting.round, ScheduleMeeting.table)))
    ends = {number: end for number, _start, end in round_instants(event.timetable())}
    return _Facts(attendees, arrivals, version, meetings, ends, now or utcnow())


def results_summary(event: Event, now: dt.datetime | None = None) -> ResultsSummary:
    facts = _facts(event, now)
    people = {a.id: a for a in facts.attendees}
    counted = facts.counted
    expected = Counter(a.source for a in counted)
    arrived = Counter(a.source for a in counted if a.id in facts.arrivals)
    held = [m for m in facts.meetings if facts.held(m)]
    return ResultsSummary(
        expected=len(counted),
        checked_in=sum(1 for a in counted if a.id in facts.arrivals),
        by_source=[SourceCount(label, expected[source], arrived[source])
                   for source, label in SOURCES.items() if expected[source]],
        published_number=facts.version.number if facts.version else None,
        meetings=len(facts.meetings),
        meetings_ended=sum(1 for m in facts.meetings if facts.ended(m)),
        meetings_held=len(held),
        cross_region_held=sum(people[m.a_id].region != people[m.b_id].region for m in held),
        companies_met=len({frozenset((normalise_company(people[m.a_id].company),
                                      normalise_company(people[m.b_id].company)))
                           for m in held}),
    )


def attendance_rows(event: Event, now: dt.datetime | None = None) -> list[list[object]]:
    """One row per attendee (``ATTENDANCE_COLUMNS``), by name: who came, when, where."""
    facts = _facts(event, now)
    scheduled: Counter[int] = Counter()
    held: Counter[int] = Counter()
    for m in facts.meetings:
        scheduled.update((m.a_id, m.b_id))
        if facts.held(m):
            held.update((m.a_id, m.b_id))
    rows: list[list[object]] = []
    for a in facts.attendees:
        arrival = facts.arrivals.get(a.id)
        rows.append([
            a.ext_id, a.name, a.company, a.title, a.email, a.country, a.region, a.partner_type,
            a.source, a.badge_number, "yes" if a.withdrawn_at is not None else "no",
            "yes" if arrival else "no",
            arrival.local if arrival else "", arrival.kiosk if arrival else "",
            arrival.staff if arrival else "", scheduled[a.id], held[a.id],
        ])
    return rows


def meeting_rows(event: Event, now: dt.datetime | None = None) -> list[list[object]]:
    """One row per meeting of the published schedule (``MEETING_COLUMNS``), by round and
    table, with both people's e-mail addresses: the list partners ask for afterwards."""
    facts = _facts(event, now)
    people = {a.id: a for a in facts.attendees}
    info = event.event_info()
    rows: list[list[object]] = []
    for m in facts.meetings:
        a, b = people[m.a_id], people[m.b_id]
        rows.append([
            m.round, info.table_label(m.table), _start(info.timetable, m.round),
            a.ext_id, a.name, a.company, a.email, b.ext_id, b.name, b.company, b.email,
            "yes" if facts.held(m) else "no", m.reason,
        ])
    return rows


def _start(timetable: Timetable, round_number: int) -> str:
    """Local start of a round; empty for a round the event no longer has (rounds were cut
    after publishing)."""
    if not 1 <= round_number <= timetable.rounds:
        return ""
    return f"{timetable.round_start(round_number):%Y-%m-%d %H:%M}"


def export_results(event: Event, table: str, fmt: str) -> bytes:
    """``attendance`` or ``meetings`` as CSV or XLSX."""
    if table not in TABLES or fmt not in SPREADSHEET_FORMATS:
        raise ValueError(f"unknown export {table}.{fmt}")
    header, rows = ((ATTENDANCE_COLUMNS, attendance_rows(event)) if table == "attendance"
                    else (MEETING_COLUMNS, meeting_rows(event)))
    out = io.BytesIO()
    write_table(header, rows, out, fmt)
    return out.getvalue()
