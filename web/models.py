"""Import point for every model, so the metadata is complete for Alembic and for tests.

A new feature with models adds its ``models`` module here.
"""

from web.attendees.checkins import CheckIn  # noqa: F401
from web.attendees.models import Attendee  # noqa: F401
from web.auth.models import ApiToken, PasswordReset, User  # noqa: F401
from web.events.models import Event  # noqa: F401
from web.jobs.models import Job  # noqa: F401
from web.mail.models import OutboxMessage  # noqa: F401
from web.schedules.models import ScheduleMeeting, ScheduleVersion  # noqa: F401
