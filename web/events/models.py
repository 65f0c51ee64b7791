"""The event: its timetable, room (tables), scoring preferences and event-day clock."""

from __future__ import annotations

import datetime as dt
import hmac
import json
import secrets
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, String, Text, inspect
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column

from scheduler.domain import Break, EventInfo, ScoringWeights, Taxonomy, Timetable
from scheduler.taxonomy import load_taxonomy, load_weights
from web.extensions import Model
from web.types import UTCDateTime, utcnow

DEFAULT_RETENTION_DAYS = 180


def new_display_key() -> str:
    """The room display's secret (128 bits), the last part of ``/display/<slug>/<key>``: the
    slug alone is short and readable, so anyone could guess it."""
    return secrets.token_urlsafe(16)


class Event(Model):
    """One speed-networking session.

    Times: ``start`` is the *local* wall-clock start of round 1 in ``timezone`` (naive on
    purpose: an organiser thinks "14:00 at the venue", and the zone's rules are applied when
    a calendar file or a countdown needs an instant). Clock fields are instants (UTC).

    ``tables == 0`` means "as many tables as needed" (half the attendees present).
    ``weights`` holds only the scoring weights the organiser changed; the rest come from
    ``data/scoring.yaml`` via :func:`scheduler.taxonomy.load_weights`. ``taxonomy`` is null
    for the default vocabulary (``data/taxonomy.yaml``) or a dict with the three lists.
    The event-day delay shifts every round after ``delay_after_round`` (0 = from round 1)
    by ``delay_minutes``.
    """

    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("rounds >= 1", name="rounds_positive"),
        CheckConstraint("tables >= 0", name="tables_not_negative"),
        CheckConstraint("round_minutes >= 1", name="round_minutes_positive"),
        CheckConstraint("changeover_minutes >= 0", name="changeover_not_negative"),
        CheckConstraint("name_order IN ('family', 'first')", name="name_order_known"),
        CheckConstraint("meetings IN ('fill', 'requested')", name="meetings_known"),
        CheckConstraint("break_spread >= 0", name="break_spread_not_negative"),
        CheckConstraint("retention_days >= 1", name="retention_days_positive"),
        CheckConstraint("wish_must_limit >= 0 AND wish_want_limit >= 0", name="wish_limits_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    venue: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[dt.date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    start: Mapped[dt.datetime] = mapped_column(DateTime(timezone=False))
    round_minutes: Mapped[int] = mapped_column(default=8)
    changeover_minutes: Mapped[int] = mapped_column(default=2)
    rounds: Mapped[int] = mapped_column(default=8)
    tables: Mapped[int] = mapped_column(default=0)
    table_labels: Mapped[str] = mapped_column(Text, default="")
    breaks: Mapped[list[dict[str, int]]] = mapped_column(JSON, default=list)
    weights: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prefer_same_region: Mapped[bool] = mapped_column(default=False)
    taxonomy: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    registration_open: Mapped[bool] = mapped_column(default=False)
    # Double opt-in: a registration counts only once its address has confirmed it (the link in
    # the confirmation mail); until then the person is nowhere in the event (web.public).
    registration_confirm: Mapped[bool] = mapped_column(default=False)
    # The privacy notice on the registration form, written by the organiser: how long they keep
    # the data and anything else they must say, and whom to ask (an address or a page).
    privacy_notice: Mapped[str] = mapped_column(Text, default="", server_default="")
    privacy_contact: Mapped[str] = mapped_column(String(254), default="", server_default="")
    clock_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    clock_paused_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    delay_minutes: Mapped[int] = mapped_column(default=0)
    delay_after_round: Mapped[int] = mapped_column(default=0)
    # Grows whenever a field that timetable() reads changes, so calendar files can raise the
    # SEQUENCE of meetings whose times moved (calendar apps ignore changes without it).
    timetable_revision: Mapped[int] = mapped_column(default=0)
    # Revise and publish by itself at each changeover for the people who arrived since.
    auto_revise: Mapped[bool] = mapped_column(default=False)
    # How printed lists, badges and the room display sort people: "family" (the last word of
    # the name, the way a desk looks people up) or "first" (the name as written).
    name_order: Mapped[str] = mapped_column(String(8), default="family", server_default="family")
    # Which meetings the plan makes (scheduler.domain.MeetingsMode): "fill" every round with the
    # best pairs, or "requested" pairs only (B2B matchmaking: the must-meet pairs, with as few
    # idle rounds between a person's meetings as possible, breaks of any two people differing
    # by at most ``break_spread``).
    meetings: Mapped[str] = mapped_column(String(16), default="fill", server_default="fill")
    break_spread: Mapped[int] = mapped_column(default=2, server_default="2")
    # The room display's secret key (/display/<slug>/<key>); the organiser renews it from the
    # live page and the old link answers 404 at once. Null: no display link until one is made.
    display_key: Mapped[str | None] = mapped_column(String(64), default=new_display_key)
    # The attendees' personal data is erased this many days after the event's date
    # (retention_date; web.schedules.privacy.erase_past_retention).
    retention_days: Mapped[int] = mapped_column(default=DEFAULT_RETENTION_DAYS,
                                                server_default=str(DEFAULT_RETENTION_DAYS))
    # Attendees' wishes (web.wishes): how many Must and Want each may give, and the instant
    # after which nobody's wishes change (null = open until the organiser sets one).
    wish_must_limit: Mapped[int] = mapped_column(default=3, server_default="3")
    wish_want_limit: Mapped[int] = mapped_column(default=5, server_default="5")
    wishes_close_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    # -- conversions to domain types ------------------------------------------------------
    def display_key_matches(self, key: str) -> bool:
        """Whether ``key`` opens this event's room display (compared in constant time, so
        the answer's timing tells nothing about how much of a guess was right)."""
        return bool(self.display_key) and hmac.compare_digest(
            (self.display_key or "").encode(), (key or "").encode())

    @property
    def retention_date(self) -> dt.date:
        """The day after which the attendees' personal data is erased."""
        return self.date + dt.timedelta(days=self.retention_days or DEFAULT_RETENTION_DAYS)

    def break_list(self) -> tuple[Break, ...]:
        return tuple(
            Break(after_round=int(b["after_round"]), minutes=int(b["minutes"]))
            for b in sorted(self.breaks or [], key=lambda b: int(b["after_round"]))
        )

    def timetable(self) -> Timetable:
        """The timetable every page, calendar file and printout uses, delay included.

        A delay after round k behaves exactly like an extra break after round k, and a delay
        before round 1 moves the start, so the domain ``Timetable`` needs no extra field. Once
        the organiser starts the event clock, round 1 starts at ``clock_started_at`` (local).
        """
        start = self.start
        if self.clock_started_at is not None:
            # The live clock was started: round 1 began then (pauses move it, see web.liveday.clock).
            from web.events.clock import in_event_zone  # the clock reads this model

            start = in_event_zone(self.timezone, self.clock_started_at).replace(tzinfo=None)
        breaks = list(self.break_list())
        if self.delay_minutes:
            if self.delay_after_round <= 0:
                start = start + dt.timedelta(minutes=self.delay_minutes)
            else:
                breaks.append(Break(after_round=self.delay_after_round, minutes=self.delay_minutes))
        return Timetable(
            start=start,
            round_minutes=self.round_minutes,
            changeover_minutes=self.changeover_minutes,
            rounds=self.rounds,
            breaks=tuple(breaks),
            timezone=self.timezone,
        )

    def table_label_list(self) -> tuple[str, ...]:
        """Labels from ``table_labels``: a JSON list, or one label per line."""
        text = (self.table_labels or "").strip()
        if not text:
            return ()
        if text.startswith("["):
            try:
                return tuple(str(x).strip() for x in json.loads(text))
            except ValueError:
                pass
        return tuple(line.strip() for line in text.splitlines())

    def event_info(self) -> EventInfo:
        return EventInfo(
            name=self.name,
            timetable=self.timetable(),
            venue=self.venue or "",
            slug=self.slug,
            table_labels=self.table_label_list(),
        )

    def taxonomy_obj(self) -> Taxonomy:
        """The event's vocabulary: its own, or the default ``data/taxonomy.yaml``."""
        if self.taxonomy:
            return Taxonomy(
                competencies=tuple(self.taxonomy.get("competencies", ())),
                regions=tuple(self.taxonomy.get("regions", ())),
                partner_types=tuple(self.taxonomy.get("partner_types", ())),
            )
        return load_taxonomy()

    def scoring_weights(self) -> ScoringWeights:
        """Default weights with this event's overrides and region preference applied."""
        overrides = dict(self.weights or {})
        overrides["prefer_same_region"] = bool(self.prefer_same_region)
        return load_weights(overrides=overrides)

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


TIMETABLE_FIELDS = ("start", "timezone", "rounds", "round_minutes", "changeover_minutes", "breaks",
                    "clock_started_at", "delay_minutes", "delay_after_round")


@orm_event.listens_for(Event, "before_update")
def _count_timetable_changes(mapper: Any, connection: Any, target: Event) -> None:
    """Every path that moves rounds (the edit form, the API, the event-day clock) goes through
    here, so no caller can forget to tell the calendars."""
    state = inspect(target)
    if any(state.attrs[name].history.has_changes() for name in TIMETABLE_FIELDS):
        target.timetable_revision = (target.timetable_revision or 0) + 1
