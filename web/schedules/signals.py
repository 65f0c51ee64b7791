"""Signals the schedules feature sends, so higher features (mail, public pages) can act on a
publish without this package importing them.

``version_published`` is sent after a version is published and committed, with
``sender=app`` (the Flask app object) and keyword arguments:

- ``version``: the ScheduleVersion now published;
- ``previous``: the ScheduleVersion it replaced, or None for the first publish;
- ``changes``: ``dict[int, list[AgendaChange]]``, attendee row id -> what changed in their own
  agenda (empty for the first publish: nobody is told about a first schedule this way).
"""

from __future__ import annotations

from dataclasses import dataclass

from blinker import Namespace

_signals = Namespace()

version_published = _signals.signal("version-published")

# Sent with sender=app, ``version`` and ``since`` (when the version read its attendees) before a
# revision is published. Receivers return a list of sentences about what changed since, e.g.
# "3 people checked in since this revision started: Ana Lima, ...".
publish_warnings = _signals.signal("publish-warnings")


@dataclass(frozen=True)
class AgendaChange:
    """One round of one attendee's agenda that differs between two published versions.

    ``before`` / ``after`` describe the meeting from the attendee's point of view, e.g.
    ``"Ana Lima, Contoso Hosting, table 12"``, or None for no meeting in that round.
    """

    round: int
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.after is None:
            return f"round {self.round}: no meeting now (was {self.before})"
        if self.before is None:
            return f"round {self.round}: now {self.after}"
        return f"round {self.round}: now {self.after} (was {self.before})"
