"""Import point for every model, so the metadata is complete for Alembic and for tests.

A new feature with models adds its ``models`` module here.
"""

from web.attendees.checkins import CheckIn  # noqa: F401
from web.attendees.models import Attendee, Consent  # noqa: F401
from web.attendees.wishes import Wish  # noqa: F401
from web.audit.models import AuditEntry  # noqa: F401
from web.auth.models import ApiToken, PasswordReset, User  # noqa: F401
from web.events.members import EventMember  # noqa: F401
from web.events.models import Event  # noqa: F401
from web.jobs.models import Job  # noqa: F401
from web.mail.models import OutboxMessage  # noqa: F401
from web.public.models import PendingRegistration  # noqa: F401
from web.schedules.models import ScheduleMeeting, ScheduleVersion  # noqa: F401
