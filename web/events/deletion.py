"""Deleting an event with everything it holds about people.

Partner conferences collect names, companies and e-mail addresses of thousands of people, and
data-protection rules ask organisers to erase them once the event is over. Deleting the event
row lets the database cascade to attendees, check-ins and jobs (every foreign key to
``events`` says ``ON DELETE CASCADE``); schedule versions go first and imports still waiting
for confirmation (files) are removed after the commit. Those belong to higher features, which
do their part on this feature's signals (``event_deleting``, ``event_deleted`` in
:mod:`web.events.signals`).
"""

from __future__ import annotations

from web.events.models import Event
from web.events.signals import event_deleted, event_deleting
from web.extensions import db, signal_sender
from web.jobs.runner import active_job, recover_interrupted_jobs


class EventInUse(RuntimeError):
    """The event cannot be deleted now (a schedule or re-plan is being computed)."""


def delete_event(event: Event) -> None:
    """Delete ``event`` and all its data in one transaction. Raises :class:`EventInUse` while
    one of its jobs runs (its thread would write into rows that are gone)."""
    recover_interrupted_jobs(event_id=event.id)  # a job whose server died blocks nothing
    running = active_job(event)
    if running is not None:
        raise EventInUse(f"a {running.kind} job is {running.status} for this event; "
                         "cancel it or wait for it to finish first")
    event_id = event.id
    app = signal_sender()
    # Schedules first (a receiver of event_deleting): a meeting refers to its two attendees
    # without a cascade (an attendee in a stored schedule must not vanish on its own), and
    # PostgreSQL checks that reference while the event's cascade is removing attendees,
    # before it reaches the meetings.
    event_deleting.send(app, event=event)
    db.session.delete(event)
    db.session.commit()
    event_deleted.send(app, event_id=event_id)
