"""Signals of the attendees feature, so higher features (re-plans, mail, live day) can react to
a change of state without this package importing them.

Sent after the change is committed, with ``sender=app`` and keyword arguments ``attendee_id``
and ``event_id``:

- ``attendee_withdrawn``: cancelled; out of every future round until restored;
- ``attendee_restored``: expected again: back from withdrawn, or back after leaving;
- ``attendee_left``: went home during the event, later rounds are free.

``removal_holds`` is a question too: sent with ``attendee_ids`` (a list) before attendees are
removed; each receiver returns ``{attendee id: reason}`` for those it holds on to, so removing
them would rewrite history (schedules: "in a stored schedule"; a check-in is this feature's own).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

attendee_withdrawn = _signals.signal("attendee-withdrawn")
attendee_restored = _signals.signal("attendee-restored")
attendee_left = _signals.signal("attendee-left")
removal_holds = _signals.signal("attendee-removal-holds")
