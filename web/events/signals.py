"""Signals of the events feature. Events is the lowest feature, so what other features know
about an event (published meetings, check-ins) reaches it through these; each is sent with
``sender=app`` and the receivers' return values are collected (blinker's ``send()`` returns
``[(receiver, value), ...]``).

- ``settings_changing``: before saving new settings of an event; kwargs ``event`` (the row,
  unchanged) and ``new`` (:class:`web.events.services.EventInput`). Each receiver returns a
  list of :class:`SettingsConflict` (what the change would break).
- ``collect_attention``: the overview page asks what needs the organiser's attention; kwargs
  ``event`` and ``now`` (aware UTC). Each receiver returns a list of :class:`AttentionItem`.
- ``collect_counts``: the overview, the deletion page and the API ask for the event's figures;
  kwarg ``event``. Each receiver returns a dict of :class:`web.events.services.EventCounts`
  fields it knows (attendees: ``attendees``; check-in: ``checked_in``; schedules: the rest).
- ``event_deleting``: an event is being deleted, inside the deletion's transaction, before
  the event's row goes; kwarg ``event``. Receivers delete what the database's cascade cannot
  remove in the right order (schedules: its versions, whose meetings refer to attendees).
- ``event_deleted``: after the deletion is committed; kwarg ``event_id``. Receivers remove
  what the event held outside the database (attendees: imports waiting for confirmation).
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

settings_changing = _signals.signal("event-settings-changing")
collect_attention = _signals.signal("event-collect-attention")
collect_counts = _signals.signal("event-collect-counts")
event_deleting = _signals.signal("event-deleting")
event_deleted = _signals.signal("event-deleted")


@dataclass(frozen=True)
class SettingsConflict:
    """One consequence of a settings change, e.g. ``rounds 7-8 hold 86 published meetings``.
    ``kind`` is ``rounds``, ``tables`` or ``times``."""

    kind: str
    message: str


@dataclass(frozen=True)
class AttentionItem:
    """A line of the overview's "needs attention" list with a link to act on it."""

    message: str
    url: str
    label: str = "Open"
    # Lower comes first: people without a table or holding one they will not use (0) before
    # the state of the versions (1), whichever feature answered first.
    rank: int = 1
