"""Warns a publish about arrivals the draft does not place (``publish_warnings``): people
who checked in after the draft read its attendees and have no table in it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from web.attendees.checkins import CheckIn
from web.attendees.models import Attendee, attendees_of
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.signals import publish_warnings
from web.wording import names_and_more, plural


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
    return [f"{plural(len(names), 'person', 'people')} checked in since this draft was computed "
            f"and get no table in it: {names_and_more(names)}."]
