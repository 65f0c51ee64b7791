"""Signals of the check-in feature, for higher features (the live day revises the plan).

``arrived_unplaced`` is sent after a check-in (committed) of someone the published schedule has
no meeting for in the rounds to come (a late arrival not in the plan, a new registrant, a
walk-in), with ``sender=app`` and keyword arguments ``event_id`` and ``attendee_id``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

arrived_unplaced = _signals.signal("checkin-arrived-unplaced")
