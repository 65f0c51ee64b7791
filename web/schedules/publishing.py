"""Publishing a version: the checks that keep a stale revision out, and telling who changed.

A revision is computed from the published version and the attendee list of one moment. By the
time the organiser presses *Publish*, another version may have been published, its first
re-planned round may have started, or people may have checked in, registered or withdrawn.
:func:`publish_checks` says which: the first two block the publish (it would undo someone
else's changes or rewrite a round in progress), the rest are warnings the organiser may accept.

The checks read without a lock; :func:`publish_version` then checks again under the event's
lock, in the transaction that supersedes, that the version it was checked against is still the
published one, so of two publishes racing on one base exactly one wins and the other is told
which version was published meanwhile.

After a publish, every attendee whose own agenda differs learns it: ``agenda_changed_at`` is set
on their row (their page shows it) and the mail feature is given each one's changes
(:func:`web.mail.messages.tell_agenda_changes`), so it writes to exactly those people; then
``version_published`` tells the features above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from scheduler.changes import agendas
from scheduler.domain import Attendee as DomainAttendee
from scheduler.domain import Schedule
from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee, attendees_of
from web.attendees.services import in_name_order
from web.audit import AuditAction, record
from web.database import changed_rows, lock_row
from web.events.clock import clock_state
from web.events.models import Event
from web.extensions import db, signal_sender
from web.mail.messages import AgendaChange, tell_agenda_changes
from web.schedules.models import ScheduleMeeting, ScheduleVersion, VersionStatus
from web.schedules.signals import version_published
from web.schedules.versions import ScheduleError, is_published, published_version, version_schedule
from web.types import utcnow
from web.wording import names_and_more, plural

NAMES_LISTED = 5


class StalePublish(ScheduleError):
    """The version may not (or should not, unconfirmed) be published: ``check`` says why."""

    def __init__(self, check: PublishCheck) -> None:
        super().__init__(" ".join(check.blocking + check.warnings))
        self.check = check


@dataclass(frozen=True)
class PublishCheck:
    """``blocking``: reasons the version cannot be published; ``warnings``: what changed since
    it was computed, which the organiser may accept (``force``)."""

    blocking: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.blocking and not self.warnings


def publish_checks(version: ScheduleVersion, now: dt.datetime | None = None) -> PublishCheck:
    """What stands between ``version`` and publishing it now."""
    now = now or utcnow()
    event = db.session.get(Event, version.event_id)
    assert event is not None
    blocking: list[str] = []
    warnings: list[str] = []
    current = published_version(event)
    if version.base_version_id is not None and (current is None or current.id != version.base_version_id):
        base = db.session.get(ScheduleVersion, version.base_version_id)
        base_name = f"version {base.number}" if base is not None else "a version that no longer exists"
        now_name = f"version {current.number} is published now" if current is not None else "nothing is published now"
        blocking.append(f"This draft revises {base_name}, but {now_name}: publishing it would undo "
                        "those changes. Revise again.")
    if version.from_round is not None and current is not None:
        state = clock_state(event, now)
        if state.rounds_started >= version.from_round:
            blocking.append(f"Round {version.from_round} has started, and this draft re-plans it. "
                            f"Revise again from round {state.rounds_started + 1}.")
    if version.inputs_at is not None and current is not None:
        warnings.extend(_attendee_changes_since(event, version.inputs_at))
        warnings.extend(_unplaced_arrivals(version, version.inputs_at))
    return PublishCheck(blocking, warnings)


def _attendee_changes_since(event: Event, since: dt.datetime) -> list[str]:
    rows = in_name_order(event, db.session.scalars(
        attendees_of(event.id).where(or_(Attendee.created_at > since, Attendee.updated_at > since))))
    if not rows:
        return []
    new = [r for r in rows if r.created_at > since]
    edited = [r for r in rows if r.created_at <= since]
    out = []
    if new:
        out.append(f"{plural(len(new), 'person', 'people')} registered since this draft was computed: "
                   f"{_names(new)}.")
    if edited:
        out.append(f"{plural(len(edited), 'attendee was', 'attendees were')} changed or withdrawn since "
                   f"this draft was computed: {_names(edited)}.")
    return out


def _unplaced_arrivals(version: ScheduleVersion, since: dt.datetime) -> list[str]:
    """Check-ins since ``since`` of people the draft gives no meeting from its first round
    (the door's records belong to the attendees feature, below this one)."""
    first = version.from_round or 1
    # The seated as a subquery: the database compares, no id list travels (events of
    # thousands would bind thousands of parameters).
    seated = (select(ScheduleMeeting.a_id.label("id"))
              .where(ScheduleMeeting.version_id == version.id, ScheduleMeeting.round >= first)
              .union(select(ScheduleMeeting.b_id)
                     .where(ScheduleMeeting.version_id == version.id, ScheduleMeeting.round >= first))
              .subquery())
    names = list(db.session.scalars(
        attendees_of(version.event_id, Attendee.name)
        .join(CheckIn, (CheckIn.attendee_id == Attendee.id) & CheckIn.active)
        .where(CheckIn.created_at > since, Attendee.id.not_in(select(seated.c.id)))
        .order_by(Attendee.name)))
    if not names:
        return []
    return [f"{plural(len(names), 'person', 'people')} checked in since this draft was computed "
            f"and get no table in it: {names_and_more(names)}."]


def _names(rows: list[Attendee]) -> str:
    return names_and_more([r.name for r in rows], NAMES_LISTED)


def publish_version(version: ScheduleVersion, user: Any = None, *, force: bool = False,
                    now: dt.datetime | None = None) -> ScheduleVersion:
    """Publish ``version``; the previously published one becomes superseded (one transaction).

    Raises :class:`StalePublish` when :func:`publish_checks` blocks it, or warns and ``force``
    is not set, or when another version was published between those checks and the write
    (:func:`_supersede`). Then marks and announces whose agenda changed: the signal goes out
    only for a publish that committed, so nobody is mailed about a version that lost a race.
    """
    if version.status == VersionStatus.PUBLISHED:
        return version
    if version.status != VersionStatus.DRAFT:
        raise ScheduleError(f"version {version.number} is {version.status}; only a draft can be "
                            "published")
    previous = _expected_previous(version)
    check = publish_checks(version, now)
    if check.blocking or (check.warnings and not force):
        if _status_now(version) == VersionStatus.PUBLISHED:  # a second click, answered second
            db.session.expire(version)
            return version
        raise StalePublish(check)
    changes = agenda_changes(previous, version) if previous is not None else {}
    try:
        published_at = _supersede(version, previous, user, changes)
        if published_at is not None:
            record(AuditAction.PUBLISH, event_id=version.event_id, actor=user, target=f"version {version.number}",
                   event=version.event_id, version=version.number, kind=version.kind,
                   previous=previous.number if previous is not None else None, agendas_changed=len(changes),
                   forced=force or None)
        db.session.commit()
    except IntegrityError:  # the one-published-version index: another publish got there first
        db.session.rollback()
        raise StalePublish(PublishCheck(blocking=[
            "Another version was published meanwhile: publishing this draft would undo it. "
            "Revise again."])) from None
    except Exception:
        db.session.rollback()
        raise
    if published_at is None:  # this very version was published meanwhile (a second click)
        db.session.expire(version)
        return version
    tell_agenda_changes(version.event_id, version.id, changes)
    version_published.send(signal_sender(), version=version, previous=previous,
                           changes=changes)
    return version


def _status_now(version: ScheduleVersion) -> str | None:
    """The version's status as stored now (the ORM object may hold an older read)."""
    return db.session.scalar(select(ScheduleVersion.status).where(ScheduleVersion.id == version.id))


def _expected_previous(version: ScheduleVersion) -> ScheduleVersion | None:
    """The version ``version`` is to replace, which must still be the published one when it is
    published: a revision's base, else the version published before the checks ran (read
    first, so a publish that lands after the checks is noticed, not taken as the base)."""
    if version.base_version_id is not None:
        return db.session.get(ScheduleVersion, version.base_version_id)
    event = db.session.get(Event, version.event_id)
    return published_version(event) if event is not None else None


def _supersede(version: ScheduleVersion, previous: ScheduleVersion | None, user: Any,
               changes: dict[int, list[AgendaChange]]) -> dt.datetime | None:
    """Under the event's lock: make sure ``previous`` (what the checks and ``changes`` were
    computed against) is still the published version, supersede it, publish ``version`` and
    stamp the attendees whose agenda changed. Returns when it was published, or None when
    ``version`` itself was published meanwhile (nothing to do). The caller commits.

    Two organisers (or the automatic revision) publishing two drafts of the same published
    version at once both pass :func:`publish_checks`, which reads without a lock. The lock on
    the event row (``FOR NO KEY UPDATE`` on PostgreSQL, the write lock on SQLite) makes the second
    wait for the first to commit, and then see that its base is gone: it is refused with
    :class:`StalePublish` instead of superseding a version that was live for milliseconds.
    The conditional UPDATE and the one-published-version index back the check up.
    """
    lock_row(db.session, Event.__table__, version.event_id)
    # Columns, not ORM objects: the identity map would hand back the rows as read before the lock.
    own = _status_now(version)
    if own == VersionStatus.PUBLISHED:
        return None
    if own != VersionStatus.DRAFT:
        raise ScheduleError(f"version {version.number} is {own or 'deleted'}; only a draft can be published")
    current = db.session.execute(select(ScheduleVersion.id, ScheduleVersion.number).where(
        is_published(version.event_id))).first()
    expected = previous.id if previous is not None else version.base_version_id
    if (current.id if current is not None else None) != expected:
        raise StalePublish(PublishCheck(blocking=[_published_meanwhile(current, previous)]))
    if previous is not None and not changed_rows(db.session.execute(
            update(ScheduleVersion)
            .where(ScheduleVersion.id == previous.id, ScheduleVersion.status == VersionStatus.PUBLISHED)
            .values(status=VersionStatus.SUPERSEDED)
            .execution_options(synchronize_session=False))):
        raise StalePublish(PublishCheck(blocking=[_published_meanwhile(None, previous)]))
    published_at = utcnow()
    db.session.execute(
        update(ScheduleVersion)
        .where(ScheduleVersion.id == version.id, ScheduleVersion.status == VersionStatus.DRAFT)
        .values(status=VersionStatus.PUBLISHED, published_at=published_at,
                published_by_id=getattr(user, "id", None))
        .execution_options(synchronize_session=False))
    if previous is None:
        db.session.execute(update(Attendee).where(Attendee.event_id == version.event_id)
                           .values(agenda_changed_at=published_at)
                           .execution_options(synchronize_session=False))
    elif changes:
        db.session.execute(update(Attendee).where(Attendee.id.in_(list(changes)))
                           .values(agenda_changed_at=published_at)
                           .execution_options(synchronize_session=False))
    # What the ORM holds of both versions predates these statements: read them again.
    db.session.expire(version)
    if previous is not None:
        db.session.expire(previous)
    return published_at


def _published_meanwhile(current: Any, previous: ScheduleVersion | None) -> str:
    """Why a publish that passed its checks lost at the write: someone else published first."""
    base = f"version {previous.number}" if previous is not None else "no published version"
    if current is None:
        return (f"The published version changed meanwhile (this draft was checked against {base}): "
                "publishing it would undo that change. Revise again.")
    return (f"Version {current.number} was published meanwhile (this draft was checked against "
            f"{base}): publishing it would undo those changes. Revise again.")


def agenda_changes(old: ScheduleVersion, new: ScheduleVersion) -> dict[int, list[AgendaChange]]:
    """Attendee row id -> the rounds of their own agenda that differ, in words."""
    event = db.session.get(Event, new.event_id)
    assert event is not None
    before, people = version_schedule(old)
    after, _ = version_schedule(new)
    rows: dict[str, int] = dict(db.session.execute(
        attendees_of(new.event_id, Attendee.ext_id, Attendee.id)).all())
    return {rows[ident]: changes for ident, changes in _changes_by_attendee(event, before, after, people).items()
            if ident in rows}


def _changes_by_attendee(event: Event, before: Schedule, after: Schedule,
                         people: list[DomainAttendee]) -> dict[str, list[AgendaChange]]:
    info = event.event_info()
    by_id = {p.id: p for p in people}
    old, new = agendas(before), agendas(after)

    def describe(slot: tuple[str, int] | None) -> str | None:
        if slot is None:
            return None
        partner = by_id.get(slot[0])
        who = f"{partner.name}, {partner.company}" if partner is not None and partner.company else (
            partner.name if partner is not None else slot[0])
        return f"{who}, table {info.table_label(slot[1])}"

    out: dict[str, list[AgendaChange]] = {}
    for ident in old.keys() | new.keys():
        mine_before, mine_after = old.get(ident, {}), new.get(ident, {})
        rounds = sorted(r for r in mine_before.keys() | mine_after.keys() if mine_before.get(r) != mine_after.get(r))
        if rounds:
            out[ident] = [AgendaChange(r, describe(mine_before.get(r)), describe(mine_after.get(r)))
                          for r in rounds]
    return out
