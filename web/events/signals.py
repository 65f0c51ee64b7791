"""Signals of the events feature: notices and page contributions for the features above it.

Events is the lowest feature: it may not ask a higher one anything its correctness depends
on. So these signals carry only (a) what the event's console pages *show* from the features
above (Indico's menu signals: each feature adds its own links and parts) and (b) the notices
of a deletion. Answers a decision needs come from plain calls in the feature that decides:
the settings guard (what a change of rounds, tables or times would break) and the API's
schedule figures live in :mod:`web.schedules.event_settings`, above the data they read.

Every signal is sent with ``sender=app`` (:func:`web.extensions.signal_sender`); the
contribution signals collect the receivers' return values (blinker's ``send()`` returns
``[(receiver, value), ...]``) through :func:`contributions`. A missing receiver leaves its
part off the page and changes no answer. ``tests/test_import_order.py`` checks that every
receiver lives in a feature this documentation names under *who may receive it*.

``console_links``
    *What:* the links of an event's console pages, shown on its overview.
    *When:* each time the overview renders (and the deletion page, for ``before_deleting``).
    *Arguments:* ``event`` (:class:`web.events.models.Event`).
    *Returns:* a list of :class:`ConsoleLink`.
    *Who may receive it:* any feature above events with a console page (attendees,
    schedules, mail, checkin, liveday, printing, results, wishes).

``collect_figures``
    *What:* an event's figures (attendees, check-ins, the schedule's state), shown on the
    overview and listed on the deletion page as what the deletion erases.
    *When:* each time the overview or the deletion page renders.
    *Arguments:* ``event``.
    *Returns:* a list of :class:`EventFigure`.
    *Who may receive it:* attendees, schedules (the features owning the counted rows).

``overview_parts``
    *What:* a fragment of a higher feature shown on the overview (e.g. the door's live
    check-in counts).
    *When:* each time the overview renders.
    *Arguments:* ``event``.
    *Returns:* a list of :class:`OverviewPart` (a template the overview includes, with
    ``event`` and ``part`` in its context).
    *Who may receive it:* checkin.

``collect_attention``
    *What:* the overview's "Needs attention" list.
    *When:* each time the overview renders.
    *Arguments:* ``event``, ``now`` (aware UTC).
    *Returns:* a list of :class:`AttentionItem`.
    *Who may receive it:* schedules (drafts, a published schedule out of range), checkin
    (people the schedule and the room disagree about).

``event_deleting``
    *What:* an event is being deleted.
    *When:* inside the deletion's transaction, before the event's row goes.
    *Arguments:* ``event``.
    *Returns:* nothing. Receivers delete what the database's cascade cannot remove in the
    right order. Without the receiver the deletion is refused by the database (the meetings'
    foreign keys to attendees say RESTRICT), never half done.
    *Who may receive it:* schedules (its versions, whose meetings refer to attendees).

``event_deleted``
    *What:* an event was deleted.
    *When:* after the deletion's commit.
    *Arguments:* ``event_id``.
    *Returns:* nothing. Receivers remove what the event held outside the database.
    *Who may receive it:* attendees (imports waiting for confirmation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from blinker import NamedSignal, Namespace

from web.extensions import signal_sender

_signals = Namespace()

console_links = _signals.signal("event-console-links")
collect_figures = _signals.signal("event-collect-figures")
overview_parts = _signals.signal("event-overview-parts")
collect_attention = _signals.signal("event-collect-attention")
event_deleting = _signals.signal("event-deleting")
event_deleted = _signals.signal("event-deleted")

RECEIVERS: dict[str, frozenset[str]] = {
    # signal name -> the features whose modules may connect a receiver (see above)
    console_links.name: frozenset({"attendees", "schedules", "mail", "checkin", "liveday",
                                   "printing", "results", "wishes"}),
    collect_figures.name: frozenset({"attendees", "schedules"}),
    overview_parts.name: frozenset({"checkin"}),
    collect_attention.name: frozenset({"schedules", "checkin"}),
    event_deleting.name: frozenset({"schedules"}),
    event_deleted.name: frozenset({"attendees"}),
}


@dataclass(frozen=True)
class ConsoleLink:
    """A link on the event's overview; ``order`` places it (lower first), ``before_deleting``
    also offers it on the deletion page ("download what you want to keep first")."""

    label: str
    url: str
    order: int
    before_deleting: bool = False


@dataclass(frozen=True)
class EventFigure:
    """One figure of the overview (``label``: ``value``) and, when ``erased`` is set, the line
    of the deletion page that says what the deletion erases."""

    label: str
    value: str
    order: int
    erased: str | None = None


@dataclass(frozen=True)
class OverviewPart:
    """A template of a higher feature the overview includes; its context has ``event`` and
    ``part`` (this object, so ``part.values`` reaches the values the receiver computed)."""

    template: str
    order: int
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AttentionItem:
    """A line of the overview's "needs attention" list with a link to act on it."""

    message: str
    url: str
    label: str = "Open"
    # Lower comes first: people without a table or holding one they will not use (0) before
    # the state of the versions (1), whichever feature answered first.
    rank: int = 1


def contributions(signal: NamedSignal, **kwargs: Any) -> list[Any]:
    """Every receiver's list, joined (what a page shows from the features above)."""
    found: list[Any] = []
    for _receiver, value in signal.send(signal_sender(), **kwargs):
        found.extend(value or ())
    return found
