"""The demo event ships with a published, valid schedule (make run)."""

from __future__ import annotations

from scheduler.checker import check_schedule
from web.demo import seed_demo
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleVersion
from web.schedules.versions import published_version, version_schedule


def test_demo_has_a_published_valid_schedule_and_is_seeded_once(app):
    result = seed_demo(app, plan_seconds=1)
    assert result.attendees > 0 and result.published_version == 1
    event = db.session.query(Event).filter_by(slug=result.event_slug).one()
    version = published_version(event)
    schedule, attendees = version_schedule(version)
    assert schedule.meetings and check_schedule(schedule, attendees) == []
    again = seed_demo(app, plan_seconds=1)
    assert again.published_version == 1
    assert db.session.query(ScheduleVersion).filter_by(event_id=event.id).count() == 1
