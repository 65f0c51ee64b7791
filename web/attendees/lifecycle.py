"""Withdraw, restore, leave and come back: the stored parts of an attendee's state.

Each action commits and then writes one structured log line (``attendee-withdrawn``,
``attendee-restored``, ``attendee-left``: who, by whom). No feature needs to be told: every
reader derives the state from the row when it next reads. States themselves are derived in :mod:`web.attendees.states` and
read for a whole event through :func:`web.attendees.presence.presence`.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from web.attendees.models import Attendee
from web.attendees.presence import checked_in_ids, presence
from web.attendees.states import AttendeeState
from web.events.models import Event
from web.extensions import db
from web.logs import log_action
from web.types import utcnow


class StateChangeRefused(ValueError):
    """The action does not apply to the attendee's current state (the message says why)."""


log = logging.getLogger(__name__)


def event_states(event: Event, attendees: list[Attendee], now: dt.datetime | None = None
                 ) -> dict[int, AttendeeState]:
    """States of ``attendees`` of ``event`` (one query for their check-ins)."""
    return presence(event, now, attendees).states


def _log(action: str, attendee: Attendee, by: Any) -> None:
    """One line per committed change: who, by whom (the audit trail of states)."""
    log_action(log, action, event=attendee.event_id, attendee=attendee.ext_id,
               by=getattr(by, "id", None))


def withdraw_attendee(attendee: Attendee, by: Any = None) -> Attendee:
    """Cancel: the person stays on record but is out of every future round until restored.
    Withdrawing twice keeps the first time."""
    if attendee.withdrawn_at is not None:
        return attendee
    attendee.withdrawn_at = utcnow()
    db.session.commit()
    _log("attendee-withdrawn", attendee, by)
    return attendee


def restore_attendee(attendee: Attendee, by: Any = None) -> Attendee:
    """Undo a withdrawal: planned for again from the next revision."""
    if attendee.withdrawn_at is None:
        raise StateChangeRefused(f"{attendee.name} is not withdrawn, so there is nothing to restore.")
    attendee.withdrawn_at = None
    db.session.commit()
    _log("attendee-restored", attendee, by)
    return attendee


def mark_left(attendee: Attendee, by: Any = None) -> Attendee:
    """The person went home: their later rounds are free. Only someone checked in can leave."""
    if attendee.withdrawn_at is not None:
        raise StateChangeRefused(f"{attendee.name} is withdrawn; restore them first.")
    if attendee.left_at is not None:
        raise StateChangeRefused(f"{attendee.name} has already left.")
    if attendee.id not in checked_in_ids(attendee.event_id, [attendee.id]):
        raise StateChangeRefused(f"{attendee.name} is not checked in, so cannot leave; "
                                 "withdraw them instead.")
    attendee.left_at = utcnow()
    db.session.commit()
    _log("attendee-left", attendee, by)
    return attendee


def mark_back(attendee: Attendee, by: Any = None) -> Attendee:
    """The person who left came back: checked in again (their check-in never ended)."""
    if attendee.left_at is None:
        raise StateChangeRefused(f"{attendee.name} has not left.")
    attendee.left_at = None
    db.session.commit()
    _log("attendee-restored", attendee, by)
    return attendee
