"""Signals of the schedules feature: notices a higher feature may act on (documented as in
:mod:`web.events.signals`; ``tests/test_import_order.py`` checks that receivers live only in
the features named under *who may receive it*). Nothing the schedules feature does depends on
a receiver; what it needs from a lower feature it calls (a publish queues the agenda-change
mail through :func:`web.mail.messages.tell_agenda_changes`).

``version_published``
    *What:* a version became the event's published schedule.
    *When:* after the publish has committed, only for the publish that won (never for one
    refused or beaten by another), after the agenda-change mail is queued.
    *Arguments:* ``sender=app`` (the Flask app object); ``version``
    (:class:`web.schedules.models.ScheduleVersion`, now published); ``previous`` (the
    ScheduleVersion it replaced, or None for the first publish); ``changes``
    (``dict[int, list[AgendaChange]]``: attendee row id -> what changed in their own agenda;
    empty for a first publish).
    *Who may receive it:* features above schedules (checkin, liveday, results, printing,
    public), to refresh what they show. A receiver returns nothing and may not veto.
    None is connected today; tests listen to it.
"""

from __future__ import annotations

from blinker import Namespace

from web.mail.messages import AgendaChange

__all__ = ["AgendaChange", "version_published"]

_signals = Namespace()

version_published = _signals.signal("version-published")

RECEIVERS: dict[str, frozenset[str]] = {
    # signal name -> the features whose modules may connect a receiver (see above)
    version_published.name: frozenset({"checkin", "liveday", "results", "printing", "public"}),
}
