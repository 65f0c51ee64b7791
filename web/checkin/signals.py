"""Signals of the check-in feature: notices for the features above it (see the events feature's
:mod:`web.events.signals` for the form of this documentation; ``tests/test_import_order.py``
checks that receivers live only in the features named under *who may receive it*).

``arrived_unplaced``
    *What:* someone checked in whom the published schedule has no meeting for in the rounds
    to come (a late arrival not in the plan, a new registrant, a walk-in).
    *When:* after the check-in has committed.
    *Arguments:* ``sender=app``; ``event_id``, ``attendee_id``.
    *Returns:* nothing; the check-in's answer does not wait for or depend on a receiver.
    *Who may receive it:* liveday (with automatic revision on, it starts the revision that
    seats the person: :mod:`web.liveday.autorevise`).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

arrived_unplaced = _signals.signal("checkin-arrived-unplaced")

RECEIVERS: dict[str, frozenset[str]] = {
    # signal name -> the features whose modules may connect a receiver (see above)
    arrived_unplaced.name: frozenset({"liveday"}),
}
