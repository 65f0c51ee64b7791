"""Event-day services: live re-plan, the room display's state and an attendee's "now and next".

Everything here reads the *published* schedule version, so publishing a re-plan is all it
takes for the display, attendee pages and calendar files to follow. Functions take ``now``
(aware) where time matters, so tests control the clock.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

from flask import current_app, url_for
from sqlalchemy import CompoundSelect, select
from sqlalchemy.orm import joinedload

from badges.names import fold, name_sort_key
from web.attendees.models import Attendee, attendees_of
from web.attendees.presence import Presence, attends, checked_in_count, not_withdrawn_count, presence
from web.attendees.states import AttendeeState
from web.audit import AuditAction, record
from web.events.clock import Phase
from web.events.models import Event, new_display_key
from web.extensions import db
from web.jobs import Job, JobContext, job_handler, start_job
from web.liveday.clock import ClockState, clock_state
from web.lookup_cache import LookupCache
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.planning import plan_in_job, version_result
from web.schedules.revisions import (
    PlanMode,
    PlanningError,
    PlanningJob,
    PlanningRequest,
    planning_request,
    run_planning,
)
from web.schedules.versions import published_version
from web.types import utcnow

log = logging.getLogger(__name__)

REPLAN_TIME_LIMIT = 8.0   # solver limit; the job (loading, storing) stays within 10 s for 1,000 people
DISPLAY_PAGE_SIZE = 30


class ReplanError(ValueError):
    """A re-plan that cannot start (no published schedule, round already held, ...)."""


# -- who is here -------------------------------------------------------------------------

def checked_in_attendees(event: Event, now: dt.datetime | None = None) -> list[Attendee]:
    """Attendees here now (checked in, not withdrawn, not gone home), in name order."""
    here = presence(event, now)
    return _by_name(event, here.with_state(AttendeeState.CHECKED_IN))


def _by_name(event: Event, rows: list[Attendee]) -> list[Attendee]:
    order = event.name_order or "family"
    return sorted(rows, key=lambda a: (*name_sort_key(a.name, order), a.ext_id))


def seated_from(version: ScheduleVersion | None, first: int | None) -> set[int]:
    """Attendee ids with a meeting of ``version`` in rounds ``first``.. (none without either)."""
    if version is None or first is None:
        return set()
    return {i for m in version.meetings if m.round >= first for i in (m.a_id, m.b_id)}


# -- live re-plan --------------------------------------------------------------------------

@dataclass(frozen=True)
class PeopleGroup:
    """People of one kind on the re-plan preview, with what the group means."""

    key: str
    label: str
    people: list[Attendee]


@dataclass(frozen=True)
class ReplanPreview:
    """What the organiser sees before starting a re-plan: who it plans for and who it leaves
    out (and why), and who is waiting for a table now."""

    published: ScheduleVersion | None
    clock: ClockState
    from_round: int | None
    planned_for: list[PeopleGroup]
    left_out: list[PeopleGroup]
    waiting: list[Attendee]          # checked in, no published table in the rounds to come
    unplaced: list[Attendee]         # registered and expected, not placed yet (new registrations)

    @property
    def planned_count(self) -> int:
        return sum(len(g.people) for g in self.planned_for)

    @property
    def left_out_count(self) -> int:
        return sum(len(g.people) for g in self.left_out)

    @property
    def present(self) -> int:
        return next((len(g.people) for g in self.planned_for if g.key == "checked-in"), 0)

    @property
    def not_yet_due(self) -> list[Attendee]:
        return next((g.people for g in self.planned_for if g.key == "registered"), [])


_LEFT_OUT_LABELS = {
    AttendeeState.NO_SHOW: "Not checked in, and their first round has started (no-shows)",
    AttendeeState.LEFT: "Gone home",
    AttendeeState.WITHDRAWN: "Withdrawn",
}


def replan_preview(event: Event, now: dt.datetime) -> ReplanPreview:
    """Who a re-plan from the first open round would plan for and leave out, by the same rule
    the re-plan itself applies (:func:`web.attendees.presence.presence`)."""
    state = clock_state(event, now)
    here = presence(event, now)
    version = published_version(event)
    seated = seated_from(version, here.first_open_round)
    planned = [PeopleGroup("checked-in", "Checked in",
                           _by_name(event, here.with_state(AttendeeState.CHECKED_IN))),
               PeopleGroup("registered", "Registered, first round still to come, not checked in yet",
                           _by_name(event, here.with_state(AttendeeState.REGISTERED)))]
    left_out = [PeopleGroup(str(s), label, _by_name(event, here.with_state(s)))
                for s, label in _LEFT_OUT_LABELS.items()]
    waiting: list[Attendee] = []
    unplaced: list[Attendee] = []
    if version is not None and here.first_open_round is not None:
        open_rounds = range(here.first_open_round, event.rounds + 1)
        for a in here.expected:
            if a.id in seated or not any(attends(a, r) for r in open_rounds):
                continue
            (waiting if here.state(a) is AttendeeState.CHECKED_IN else unplaced).append(a)
    return ReplanPreview(version, state, here.first_open_round, [g for g in planned if g.people],
                         [g for g in left_out if g.people], _by_name(event, waiting), _by_name(event, unplaced))


def start_replan(event: Event, from_round: int | None, now: dt.datetime, *,
                 leave_out_not_checked_in: bool = False, time_limit: float | None = None) -> Job:
    """Start a 'replan' job; returns the Job. Raises :class:`ReplanError` or ``JobBusy``.

    It plans for the people :func:`replan_preview` lists as planned for; with
    ``leave_out_not_checked_in`` also without those registered who have not checked in yet.
    The solver's time limit defaults to the app's ``REPLAN_TIME_LIMIT`` (8 s)."""
    if published_version(event) is None:
        raise ReplanError("Publish a schedule first: a re-plan revises the published one.")
    request = replan_request(event, from_round, now, job=PlanningJob.REPLAN, time_limit=time_limit,
                             leave_out_not_checked_in=leave_out_not_checked_in)
    if not checked_in_attendees(event, now):
        raise ReplanError("Nobody is checked in yet.")
    return start_job(event, PlanningJob.REPLAN, params={**request.to_params(), "now": now.isoformat()})


def replan_request(event: Event, from_round: int | None, now: dt.datetime, *,
                   job: PlanningJob = PlanningJob.REPLAN, time_limit: float | None = None,
                   leave_out_not_checked_in: bool = False) -> PlanningRequest:
    """An event-day revision from ``from_round`` (checked; the first open round by default),
    its time limit the app's ``REPLAN_TIME_LIMIT`` unless given. Raises :class:`ReplanError`."""
    default = float(current_app.config.get("REPLAN_TIME_LIMIT", REPLAN_TIME_LIMIT))
    try:
        return planning_request(event, now, mode=PlanMode.REVISE, time_limit=time_limit,
                                default_time_limit=default, from_round=from_round, pin_from_round=True,
                                job=job, leave_out_not_checked_in=leave_out_not_checked_in)
    except PlanningError as exc:
        raise ReplanError(str(exc)) from exc


@job_handler(PlanningJob.REPLAN)
def run_replan_job(context: JobContext, params: dict[str, Any]) -> dict[str, Any] | None:
    """The re-plan job in a worker: the request :func:`start_replan` stored, at its ``now``."""
    event = db.session.get(Event, context.event_id)
    if event is None:
        raise ReplanError("the event was deleted")
    now = dt.datetime.fromisoformat(params["now"]) if params.get("now") else None
    version = replan(event, PlanningRequest.from_params(params), context=context, now=now)
    return version_result(version) if not context.cancel_event.is_set() else None


def replan(event: Event, request: PlanningRequest, *, context: JobContext | None = None,
           now: dt.datetime | None = None) -> ScheduleVersion:
    """Revise the published version from ``request.from_round`` for the people expected there
    (checked in, or not yet due; not withdrawn, no-shows or gone) and store the result as a
    draft (kind ``replan``), in job ``context`` when given.

    The same revision as the console's (:mod:`web.schedules.revisions`): published meetings
    stay where the rules still allow, so a late arrival moves a handful of agendas, not the room.
    """
    if published_version(event) is None:
        raise ReplanError("There is no published schedule to re-plan.")
    try:
        if context is not None:
            return plan_in_job(event, request, context, now)[0]
        return run_planning(event, request, now=now)[0]
    except PlanningError as exc:
        raise ReplanError(str(exc)) from exc


def run_replan(event: Event, from_round: int, *, time_limit: float = REPLAN_TIME_LIMIT,
               now: dt.datetime | None = None, leave_out_not_checked_in: bool = False) -> int:
    """Re-plan from ``from_round`` in this thread (the CLI, tests); the draft's id."""
    request = replan_request(event, from_round, now or utcnow(), time_limit=time_limit,
                             leave_out_not_checked_in=leave_out_not_checked_in)
    return replan(event, request, now=now).id


def kept_share(old: ScheduleVersion, new: ScheduleVersion, from_round: int, present: set[int]) -> tuple[int, int]:
    """(kept, total): meetings of ``old`` from ``from_round`` between present attendees that
    ``new`` still holds (same pair, any round from ``from_round``)."""
    def pairs(version: ScheduleVersion, only_present: bool) -> set[frozenset[int]]:
        return {frozenset((m.a_id, m.b_id)) for m in version.meetings if m.round >= from_round
                and (not only_present or (m.a_id in present and m.b_id in present))}

    wanted = pairs(old, True)
    return len(wanted & pairs(new, False)), len(wanted)


# -- room display ----------------------------------------------------------------------------

def _local_hhmm(event: Event, round_number: int) -> str:
    return event.timetable().round_start(round_number).strftime("%H:%M")


BREAK_LABEL = "break this round"
WAITING_LABEL = "waiting for a table: see the desk"


def table_list(event: Event, round_number: int | None,
               version: ScheduleVersion | None = None, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """"Find your table" for one round of the published schedule: everyone seated; everyone
    else expected this round ("break this round" for the schedule's people, "waiting for a
    table" for people checked in whom no published meeting seats yet), so nobody searches the
    list for a name that is not there; in the event's name order.

    Every projector polls this (kept a few seconds by :func:`_display_rows`), so it reads only
    that round's meetings (both people in the same query) besides the event's presence."""
    version = version if version is not None else published_version(event)
    if version is None or round_number is None:
        return []
    info = event.event_info()
    meetings = db.session.scalars(
        select(ScheduleMeeting)
        .where(ScheduleMeeting.version_id == version.id, ScheduleMeeting.round == round_number)
        .options(joinedload(ScheduleMeeting.a), joinedload(ScheduleMeeting.b))
    )
    rows: list[dict[str, Any]] = []
    seated: set[int] = set()
    for m in meetings:
        for person in (m.a, m.b):
            seated.add(person.id)
            rows.append({"name": person.name, "company": person.company,
                         "table": info.table_label(m.table), "table_number": m.table,
                         "break": False, "waiting": False})
    unseated = list(db.session.scalars(attendees_of(event.id).where(Attendee.id.not_in(
        _round_people(version.id, round_number)))))
    rows.extend(_unseated_rows(version, round_number, presence(event, now, unseated)))
    order = event.name_order or "family"
    rows.sort(key=lambda r: (*name_sort_key(r["name"], order), fold(r["company"])))
    return rows


def _round_people(version_id: int, round_number: int) -> CompoundSelect[Any]:
    """The ids of everyone seated in one round of a version, as a subquery."""
    in_round = (ScheduleMeeting.version_id == version_id) & (ScheduleMeeting.round == round_number)
    return select(ScheduleMeeting.a_id).where(in_round).union(select(ScheduleMeeting.b_id).where(in_round))


def _unseated_rows(version: ScheduleVersion, round_number: int, here: Presence) -> list[dict[str, Any]]:
    """People expected this round without a table in it (``here`` holds only them): on a break
    when the version has meetings for them from its first round, waiting for a table when it
    has none (they arrived or registered after it was made)."""
    planned_rounds = (ScheduleMeeting.version_id == version.id) & (ScheduleMeeting.round >= (version.from_round or 1))
    in_version = set(db.session.scalars(select(ScheduleMeeting.a_id).where(planned_rounds)
                                        .union(select(ScheduleMeeting.b_id).where(planned_rounds))))
    rows = []
    for person in here.expected_in(round_number):
        planned = person.id in in_version
        if not planned and here.state(person) is not AttendeeState.CHECKED_IN:
            continue  # registered, not placed and not here: nothing to find on the display
        rows.append({"name": person.name, "company": person.company,
                     "table": BREAK_LABEL if planned else WAITING_LABEL, "table_number": None,
                     "break": planned, "waiting": not planned})
    return rows


PHASE_HEADINGS = {
    "before": "Starting soon",
    "in_round": "In progress",
    "changeover": "Change tables",
    "break": "Break",
    "paused": "Paused",
    "finished": "Thank you — the session has ended",
}


DISPLAY_ROWS_SECONDS = 10.0


def _display_rows(event: Event, round_number: int | None,
                  version: ScheduleVersion | None, now: dt.datetime) -> list[dict[str, str]]:
    """The display's table list, kept a few seconds per published version and round: every
    projector (and anyone with the public link) polls it, and it only changes with a
    publish, a new round or an edit of the event (all in the key). An edited name shows
    after :data:`DISPLAY_ROWS_SECONDS`."""
    if version is None or round_number is None:
        return []
    caches = current_app.extensions.setdefault("speednet.public_pages", {})
    cache = caches.get("display")
    if cache is None:
        cache = caches.setdefault("display", LookupCache(DISPLAY_ROWS_SECONDS, 256))
    key = (event.id, version.id, version.published_at, round_number, event.updated_at)
    return cache.get(key, lambda _key: table_list(event, round_number, version, now))


# Further ahead than this, the display names the start instead of counting down to it.
COUNTDOWN_SECONDS = 6 * 3600


def starts_label(event: Event, state: ClockState) -> str | None:
    """``Starts Thu 12 Jun, 14:00`` while round 1 is hours or days away (a countdown of
    "899:05:11" tells a room nothing); None once the countdown is worth showing."""
    if state.phase != Phase.BEFORE or (state.seconds_to_next_bell or 0) <= COUNTDOWN_SECONDS:
        return None
    start = event.timetable().start
    return f"Starts {start:%a} {start.day} {start:%b}, {start:%H:%M}"


def display_state(event: Event, now: dt.datetime) -> dict[str, Any]:
    """Everything the room display shows, as JSON-ready data (no personal data beyond the
    names and companies on the tables)."""
    state = clock_state(event, now)
    shown = state.shown_round
    version = published_version(event)
    published = version is not None
    names_shown = names_announced(state)
    rows = _display_rows(event, shown, version, now) if names_shown else []
    next_after = None
    if state.current_round and state.next_round:
        next_after = {"round": state.next_round, "starts": _local_hhmm(event, state.next_round)}
    if state.phase == "paused":
        label = (f"Round {state.current_round}" if state.current_round
                 else f"Round {state.next_round} next" if state.next_round else "")
    elif state.current_round:
        label = f"Round {state.current_round} of {event.rounds}"
    elif state.next_round:
        label = f"Round {state.next_round} of {event.rounds} starts {_local_hhmm(event, state.next_round)}"
    else:
        label = ""
    return {
        "server_time": now.astimezone(dt.UTC).isoformat(),
        "event": {"name": event.name, "slug": event.slug, "venue": event.venue or "",
                  "rounds": event.rounds},
        "clock": state.to_dict(),
        "heading": PHASE_HEADINGS[state.phase],
        "round_label": label,
        "round": shown,
        "next": next_after,
        "published": published,
        "tables": rows,
        "names_shown": names_shown,
        "notice": _before_names_notice(event, shown) if published and not names_shown else "",
        "starts": starts_label(event, state),
    }


# How long before round 1 its tables (with names) appear on the display: people gather and
# look for their first table. Earlier, the display shows the clock and counts only.
ANNOUNCE_SECONDS = 15 * 60


def names_announced(state: ClockState) -> bool:
    """Whether the display may list names: once a round is announced, that is from
    :data:`ANNOUNCE_SECONDS` before round 1 (or once an organiser starts round 1) until
    the session ends. Weeks before the event the display's address must not tell who is coming."""
    phase = state.running_phase if state.phase == Phase.PAUSED else state.phase
    if phase == Phase.FINISHED:
        return False
    if phase != Phase.BEFORE:
        return True
    return state.seconds_to_next_bell is not None and state.seconds_to_next_bell <= ANNOUNCE_SECONDS


def _before_names_notice(event: Event, shown: int | None) -> str:
    """What the display says while the names are not shown yet: when they will be, and how
    many people are here (counts only)."""
    here, expected = checked_in_count(event.id), not_withdrawn_count(event.id)
    round_word = f"round {shown}" if shown else "the first round"
    return f"Tables appear here when {round_word} is announced · {here} of {expected} checked in"


def display_url(event: Event) -> str | None:
    """The room display's secret address for the organiser's links (None until a key is
    made: events stored before the display had keys)."""
    if not event.display_key:
        return None
    return url_for("display.display", slug=event.slug, key=event.display_key)


def renew_display_key(event: Event) -> str:
    """Give the event a new display key and commit: the old address answers 404 at once
    (every request compares against the stored key; nothing caches it)."""
    event.display_key = new_display_key()
    record(AuditAction.DISPLAY_LINK, event_id=event.id, target=event.slug)
    db.session.commit()
    return event.display_key


def display_page(rows: list[dict[str, str]], page: int, per_page: int = DISPLAY_PAGE_SIZE
                 ) -> tuple[list[dict[str, str]], int, int]:
    """One page of the table list for the server render: (rows, page, pages), page 1-based
    and clamped."""
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(1, page), pages)
    return rows[(page - 1) * per_page: page * per_page], page, pages


def format_seconds(seconds: float | None) -> str:
    """``7:05`` within the hour, ``3:11:16`` before a session that starts hours from now."""
    if seconds is None:
        return ""
    total = max(0, int(math.ceil(seconds)))
    hours, rest = divmod(total, 3600)
    if hours:
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
    return f"{rest // 60}:{rest % 60:02d}"
