"""Who the rounds to come are planned for, as the door sees it.

The schedules feature plans for everyone not withdrawn unless told otherwise; this module tells
it, through ``planning_exclusions``, who else stays out: no-shows (due, not checked in, the
event's ``no_show_minutes`` after their first round started, once the clock runs) and people
who checked in and left. It also warns a publish about arrivals the draft does not place
(``publish_warnings``). Both answers are read from check-ins, which only this side may import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from web.attendees.models import Attendee, attendees_of
from web.attendees.states import AttendeeState
from web.checkin.models import CheckIn
from web.checkin.states import states_for_event
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.signals import planning_exclusions, publish_warnings

NAMES_LISTED = 5


def absent_attendees(event: Event, now: dt.datetime) -> dict[int, str]:
    """Attendee id -> "no-show" or "left" for the people not expected in the rounds to come
    (withdrawn people are left out by the schedules feature itself). No-shows count only once
    the event clock runs: a plan made before the day (or for a date already past, without the
    clock) is for everyone registered."""
    reasons = {AttendeeState.LEFT: "left"}
    if event.clock_started_at is not None:
        reasons[AttendeeState.NO_SHOW] = "no-show"
    return {attendee_id: reasons[state] for attendee_id, state in states_for_event(event, now).items()
            if state in reasons}


@planning_exclusions.connect
def _exclude_absent(_app: Any, *, event: Event, now: dt.datetime, **_: Any) -> dict[int, str]:
    return absent_attendees(event, now)


@publish_warnings.connect
def _unplaced_arrivals(_app: Any, *, version: ScheduleVersion, since: dt.datetime, **_: Any) -> list[str]:
    """Check-ins since ``since`` of people the draft gives no meeting from its first round."""
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
    shown = ", ".join(names[:NAMES_LISTED]) + (f" and {len(names) - NAMES_LISTED} more"
                                               if len(names) > NAMES_LISTED else "")
    count = "1 person" if len(names) == 1 else f"{len(names)} people"
    return [f"{count} checked in since this draft was computed and get no table in it: {shown}."]
