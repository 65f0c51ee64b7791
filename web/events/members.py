"""An event's team: who may run it (organisers) and who may work its door (check-in staff).

An account reaches an event only as its member: ``User.role`` says what kind of account it is
(an organiser account may create events, a staff account may not), an :class:`EventMember` row
says what it may do in one event. Whoever creates an event becomes its first organiser; the
team page (:mod:`web.events.team`) adds the others. The decision itself is made in one place,
:mod:`web.events.access`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, bindparam, func, select
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.selectable import ScalarSelect

from web.audit import AuditAction, record
from web.auth.models import Role, User
from web.database import lock_row
from web.events.models import Event
from web.extensions import Model, db
from web.lookup_cache import forget_after_commit, lookup_cache, stamp_across_workers
from web.types import UTCDateTime, utcnow


class MemberRole(StrEnum):
    """What a member may do in the event: organisers everything, staff the kiosk and desk."""

    ORGANISER = "organiser"
    STAFF = "staff"


MEMBER_ROLE_LABELS = {MemberRole.ORGANISER: "Organiser", MemberRole.STAFF: "Check-in staff"}


class EventMember(Model):
    """One account in one event's team (at most once: the role says what it may do)."""

    __tablename__ = "event_members"
    __table_args__ = (
        UniqueConstraint("event_id", "user_id"),
        CheckConstraint(f"role IN ({', '.join(repr(str(r)) for r in MemberRole)})", name="member_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


# Every API request asks this (a kiosk scan too): built once, and remembered per worker for
# LOOKUP_SECONDS with the token's account (web.lookup_cache). A team change made here clears
# it at its commit, and the stamp reaches every other worker of the host on its next request,
# so a removed member's token stops working at once everywhere on this host.
_members = EventMember.__table__
_ROLE_OF = select(_members.c.role).where(_members.c.event_id == bindparam("event_id"),
                                         _members.c.user_id == bindparam("user_id"))
MEMBER_CACHE = "event-members"
stamp_across_workers(MEMBER_CACHE)


def member_role(user_id: int, event_id: int) -> MemberRole | None:
    """The account's role in the event, read now; ``None`` for a non-member."""
    found = db.session.connection().execute(_ROLE_OF, {"event_id": event_id, "user_id": user_id}).scalar()
    return None if found is None else MemberRole(found)


def remembered_member_role(user_id: int, event_id: int) -> MemberRole | None:
    """:func:`member_role` remembered for a couple of seconds (the API's hot path: every scan).
    Only found roles are remembered, so a member added a moment ago is let in at once."""
    return lookup_cache(MEMBER_CACHE).get((user_id, event_id), lambda key: member_role(*key))


@orm_event.listens_for(EventMember, "after_insert")
@orm_event.listens_for(EventMember, "after_update")
@orm_event.listens_for(EventMember, "after_delete")
@orm_event.listens_for(Event, "after_delete")
@orm_event.listens_for(User, "after_delete")
def _forget_members(_mapper: object, _connection: object, row: object) -> None:
    """A team changed (or an event or account went, taking its memberships by the database's
    cascade, and its id may be given again): this worker stops trusting the roles it
    remembered."""
    forget_after_commit(MEMBER_CACHE, row)


def event_ids_of(user_id: int, roles: frozenset[MemberRole]) -> ScalarSelect[int]:
    """The ids of the events where the account holds one of ``roles`` (a subquery)."""
    return (select(_members.c.event_id)
            .where(_members.c.user_id == user_id, _members.c.role.in_([str(r) for r in roles]))
            .scalar_subquery())


class TeamError(ValueError):
    """A team change that is refused, with the reason an organiser reads."""


@dataclass(frozen=True)
class Member:
    """A team member as the team page lists them."""

    id: int
    user_id: int
    email: str
    role: MemberRole
    account_role: str
    active: bool

    @property
    def role_label(self) -> str:
        return MEMBER_ROLE_LABELS[self.role]


def team_of(event: Event) -> list[Member]:
    """The event's members, organisers first, then by e-mail address."""
    rows = db.session.scalars(select(EventMember).where(EventMember.event_id == event.id))
    members = [Member(row.id, row.user_id, row.user.email, MemberRole(row.role), row.user.role,
                      row.user.active) for row in rows]
    return sorted(members, key=lambda m: (m.role != MemberRole.ORGANISER, m.email))


def _check_role_fits_account(user: User, role: MemberRole) -> None:
    if role == MemberRole.ORGANISER and user.role != Role.ORGANISER:
        raise TeamError(f"{user.email} has a check-in staff account, which can only be check-in "
                        "staff of an event.")


def add_member(event: Event, user: User, role: MemberRole, *, commit: bool = True) -> EventMember:
    """Put an active account in the event's team. Refuses inactive accounts, a second
    membership and a staff account as organiser."""
    if not user.active:
        raise TeamError(f"{user.email} is deactivated.")
    _check_role_fits_account(user, role)
    if member_role(user.id, event.id) is not None:
        raise TeamError(f"{user.email} is already in the team; change their role instead.")
    row = EventMember(event_id=event.id, user_id=user.id, role=str(role))
    db.session.add(row)
    record(AuditAction.TEAM, event_id=event.id, target=user.email, change="added", role=str(role))
    if commit:
        db.session.commit()
    return row


def ensure_member(event: Event, user: User, role: MemberRole) -> None:
    """Make ``user`` a member with at least ``role`` (the demo and the operator's CLI): an
    existing organiser stays one."""
    current = member_role(user.id, event.id)
    if current is None:
        add_member(event, user, role)
    elif current != role and role == MemberRole.ORGANISER:
        _check_role_fits_account(user, role)
        row = _member_row(event, user_id=user.id)
        row.role = str(role)
        record(AuditAction.TEAM, event_id=event.id, target=user.email, change="role", role=str(role))
        db.session.commit()


def _member_row(event: Event, *, member_id: int | None = None, user_id: int | None = None) -> EventMember:
    query = select(EventMember).where(EventMember.event_id == event.id)
    query = query.where(EventMember.id == member_id) if member_id is not None else query.where(
        EventMember.user_id == user_id)
    row = db.session.scalar(query)
    if row is None:
        raise TeamError("That person is not in the team (any more).")
    return row


def _organisers(event: Event) -> int:
    return db.session.scalar(select(func.count()).select_from(EventMember).where(
        EventMember.event_id == event.id, EventMember.role == str(MemberRole.ORGANISER))) or 0


def _keep_an_organiser(event: Event, row: EventMember, what: str) -> None:
    """Refuse to leave the event without an organiser: nobody could reach its console again
    (except an operator with ``flask --app web event-member``)."""
    if row.role == MemberRole.ORGANISER and _organisers(event) <= 1:
        raise TeamError(f"{row.user.email} is the event's last organiser and cannot be {what}; "
                        "make someone else organiser first.")


def change_role(event: Event, member_id: int, role: MemberRole) -> EventMember:
    """Make a member organiser or check-in staff; the last organiser stays one."""
    lock_row(db.session, Event.__table__, event.id)  # two demotions at once: one waits, then counts
    try:
        row = _member_row(event, member_id=member_id)
        _check_role_fits_account(row.user, role)
        if role != row.role:
            _keep_an_organiser(event, row, "demoted")
            row.role = str(role)
            record(AuditAction.TEAM, event_id=event.id, target=row.user.email, change="role", role=str(role))
    except TeamError:
        db.session.rollback()
        raise
    db.session.commit()
    return row


def remove_member(event: Event, member_id: int) -> str:
    """Take a member out of the team (their access to the event ends at once); returns their
    e-mail address. The last organiser cannot be removed."""
    lock_row(db.session, Event.__table__, event.id)
    try:
        row = _member_row(event, member_id=member_id)
        _keep_an_organiser(event, row, "removed")
    except TeamError:
        db.session.rollback()
        raise
    email = row.user.email
    db.session.delete(row)
    record(AuditAction.TEAM, event_id=event.id, target=email, change="removed")
    db.session.commit()
    return email
