"""The audit trail: who did what, when, to which event.

Low in the feature order (just above jobs) so that auth, events, attendees, schedules and
checkin can all call :func:`web.audit.services.record`; the page that shows an event's trail
needs the event and lives above it (``web.results.audit``).
"""

from web.audit.models import AuditAction, AuditEntry
from web.audit.services import audit_page, record

__all__ = ["AuditAction", "AuditEntry", "audit_page", "record"]
