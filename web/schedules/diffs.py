"""Comparing two versions person by person: whose agenda changed and how, for the publish page
and the change notices (the meeting-level diff itself is :mod:`scheduler.changes`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from badges.names import name_sort_key
from scheduler.changes import diff_schedules
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Schedule
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleVersion
from web.schedules.versions import version_schedule


@dataclass(frozen=True)
class MeetingChange:
    """One change of one attendee's agenda: ``kind`` is added, removed or moved;
    ``before``/``after`` are (round, table) or None."""

    kind: str
    partner_id: str
    partner_name: str
    before: tuple[int, int] | None
    after: tuple[int, int] | None


@dataclass(frozen=True)
class AttendeeChanges:
    attendee_id: str
    name: str
    changes: list[MeetingChange]

    def of_kind(self, kind: str) -> list[MeetingChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def added(self) -> list[MeetingChange]:
        return self.of_kind("added")

    @property
    def removed(self) -> list[MeetingChange]:
        return self.of_kind("removed")

    @property
    def moved(self) -> list[MeetingChange]:
        return self.of_kind("moved")


@dataclass(frozen=True)
class VersionDiff:
    """Differences between two versions (``old`` may be None: everything is added), from
    ``from_round`` on. Counts are per meeting; ``attendees`` lists everyone whose agenda
    changed, by name."""

    old_number: int | None
    new_number: int
    from_round: int
    added: int
    removed: int
    moved: int
    unchanged: int
    attendees: list[AttendeeChanges]

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.moved)

    @property
    def attendees_changed(self) -> int:
        return len(self.attendees)

    def for_attendee(self, ext_id: str) -> AttendeeChanges | None:
        return next((a for a in self.attendees if a.attendee_id == ext_id), None)


def person_diff(old: Schedule | None, new: Schedule, attendees: Sequence[DomainAttendee],
                *, from_round: int = 1, old_number: int | None = None,
                new_number: int = 0, name_order: str = "family") -> VersionDiff:
    """Per-attendee meetings added, removed and moved (round or table) between two schedules:
    :func:`scheduler.changes.diff_schedules`, told from each side of each meeting; people in
    the event's ``name_order``, as its printed lists have them."""
    names = {a.id: a.name for a in attendees}
    changes = diff_schedules(old or Schedule(new.rounds, new.tables, ()), new, from_round)
    counts = Counter(change.kind for change in changes)
    before = sum(1 for m in (old.meetings if old else ()) if m.round >= from_round)
    per: dict[str, list[MeetingChange]] = {}
    for change in changes:
        for me, partner in ((change.a_id, change.b_id), (change.b_id, change.a_id)):
            per.setdefault(me, []).append(
                MeetingChange(change.kind, partner, names.get(partner, partner), change.before, change.after))
    order = {"removed": 0, "moved": 1, "added": 2}
    people = [
        AttendeeChanges(ident, names.get(ident, ident),
                        sorted(items, key=lambda c: ((c.before or c.after or (0, 0))[0],
                                                     order[c.kind], c.partner_id)))
        for ident, items in per.items()
    ]
    people.sort(key=lambda a: (*name_sort_key(a.name, name_order), a.attendee_id))
    return VersionDiff(old_number, new_number, from_round, counts["added"], counts["removed"],
                       counts["moved"], before - counts["removed"] - counts["moved"], people)


def diff_versions(old: ScheduleVersion | None, new: ScheduleVersion, *,
                  from_round: int = 1) -> VersionDiff:
    """What changes for each attendee when ``new`` replaces ``old`` (None = nothing before)."""
    new_schedule, attendees = version_schedule(new)
    old_schedule = version_schedule(old)[0] if old is not None else None
    event = db.session.get(Event, new.event_id)
    return person_diff(old_schedule, new_schedule, attendees, from_round=from_round,
                       old_number=old.number if old is not None else None,
                       new_number=new.number, name_order=(event.name_order if event else None) or "family")
