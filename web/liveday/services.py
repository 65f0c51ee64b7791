"""Event-day services: live re-plan, the room display's state and an attendee's "now and next".

Everything here reads the *published* schedule version, so publishing a re-plan is all it
takes for the display, attendee pages and calendar files to follow. Functions take ``now``
(aware) where time matters, so tests control the clock.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from badges.names import fold, name_sort_key
from scheduler.domain import Schedule
from web.attendees.convert import parse_rounds
from web.attendees.models import Attendee, attendees_of
from web.checkin.models import CheckIn
from web.events.models import Event
from web.extensions import db
from web.jobs import JobContext, job_handler, start_job
from web.liveday.clock import ClockState, clock_state
from web.lookup_cache import LookupCache
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.planning import progress_reporter
from web.schedules.revisions import PlanMode, PlanningError, run_planning
from web.schedules.versions import published_version, version_schedule

REPLAN_JOB_KIND = "replan"
REPLAN_TIME_LIMIT = 8.0   # solver limit; the job (loading, storing) stays within 10 s for 1,000 people
DISPLAY_PAGE_SIZE = 30


class ReplanError(ValueError):
    """A re-plan that cannot start (no published schedule, round already held, ...)."""


# -- who is here -------------------------------------------------------------------------

def checked_in_attendees(event: Event) -> list[Attendee]:
    """Attendees with a check-in that has not been annulled, in name order."""
    return list(db.session.scalars(
        attendees_of(event.id)
        .join(CheckIn, (CheckIn.attendee_id == Attendee.id) & CheckIn.active)
        .order_by(Attendee.name, Attendee.ext_id)
    ))


def _all_attendees(event: Event) -> list[Attendee]:
    return list(db.session.scalars(attendees_of(event.id)))


def _published(event: Event) -> ScheduleVersion | None:
    return published_version(event)


def _schedule(version: ScheduleVersion) -> Schedule:
    return version_schedule(version)[0]


# -- live re-plan --------------------------------------------------------------------------

@dataclass(frozen=True)
class ReplanPreview:
    """What the organiser sees before starting a re-plan."""

    published: ScheduleVersion | None
    clock: ClockState
    default_from_round: int | None
    present: int
    no_shows: list[Attendee]          # scheduled in open rounds but not checked in
    arrivals: list[Attendee]          # checked in but in no open round of the schedule


def default_from_round(event: Event, now: dt.datetime) -> int | None:
    """The first round not yet started per the clock (None when every round has started)."""
    return clock_state(event, now).first_open_round


def replan_preview(event: Event, now: dt.datetime) -> ReplanPreview:
    state = clock_state(event, now)
    version = _published(event)
    present = checked_in_attendees(event)
    no_shows: list[Attendee] = []
    arrivals: list[Attendee] = []
    first = state.first_open_round
    if version is not None and first is not None:
        scheduled: set[int] = set()
        for m in version.meetings:
            if m.round >= first:
                scheduled.update((m.a_id, m.b_id))
        present_ids = {a.id for a in present}
        by_id = {a.id: a for a in _all_attendees(event)}
        no_shows = sorted((by_id[i] for i in scheduled - present_ids), key=lambda a: (a.name, a.ext_id))
        arrivals = [a for a in present if a.id not in scheduled]
    return ReplanPreview(version, state, first, len(present), no_shows, arrivals)


def check_from_round(event: Event, from_round: int | None, now: dt.datetime) -> int:
    """``from_round`` or the default, refused when that round has started or is out of range."""
    first = default_from_round(event, now)
    if first is None:
        raise ReplanError("Every round has started; there is nothing left to re-plan.")
    if from_round is None:
        return first
    if from_round < first:
        raise ReplanError(f"Round {from_round} has already started; re-plan from round {first} or later.")
    if from_round > event.rounds:
        raise ReplanError(f"The event has {event.rounds} rounds.")
    return from_round


def start_replan(event: Event, from_round: int | None, now: dt.datetime, *,
                 time_limit: float | None = None):
    """Start a 'replan' job; returns the Job. Raises :class:`ReplanError` or ``JobBusy``.

    The solver's time limit defaults to the app's ``REPLAN_TIME_LIMIT`` (8 s)."""
    if time_limit is None:
        time_limit = float(current_app.config.get("REPLAN_TIME_LIMIT", REPLAN_TIME_LIMIT))
    if _published(event) is None:
        raise ReplanError("Publish a schedule first: a re-plan revises the published one.")
    first = check_from_round(event, from_round, now)
    if not checked_in_attendees(event):
        raise ReplanError("Nobody is checked in yet.")
    return start_job(event, REPLAN_JOB_KIND, params={
        "from_round": first, "time_limit": float(time_limit), "now": now.isoformat()})


@job_handler(REPLAN_JOB_KIND)
def run_replan_job(context: JobContext, params: dict) -> int | None:
    """The 'replan' job in a worker: :func:`run_replan` with what :func:`start_replan` stored."""
    event = db.session.get(Event, context.event_id)
    if event is None:
        raise ReplanError("the event was deleted")
    now = dt.datetime.fromisoformat(params["now"]) if params.get("now") else None
    return run_replan(event, int(params["from_round"]), context=context,
                      time_limit=float(params.get("time_limit", REPLAN_TIME_LIMIT)), now=now)


def run_replan(event: Event, from_round: int, *, context: JobContext | None = None,
               time_limit: float = REPLAN_TIME_LIMIT, now: dt.datetime | None = None) -> int | None:
    """Revise rounds ``from_round``.. of the published version for the people expected there
    (checked in, or not yet due; not withdrawn, no-shows or gone), store the result as a draft
    version (kind 'replan') and return its id (None if cancelled).

    The same revision as the console's (:mod:`web.schedules.revisions`): published meetings
    stay where the rules still allow, so a late arrival moves a handful of agendas, not the room.
    """
    if _published(event) is None:
        raise ReplanError("There is no published schedule to re-plan.")
    cancel = context.cancel_event if context is not None else None
    report = progress_reporter(context.report) if context is not None else None
    try:
        version, figures = run_planning(event, PlanMode.REVISE, now=now, from_round=from_round, kind="replan",
                                        time_limit=time_limit, progress=report, cancel=cancel)
    except PlanningError as exc:
        raise ReplanError(str(exc)) from exc
    if context is not None:
        context.report({**context.last_progress, **figures, "phase": "done"}, force=True)
    if cancel is not None and cancel.is_set():
        return None
    return version.id


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


def table_list(event: Event, round_number: int | None,
               version: ScheduleVersion | None = None) -> list[dict[str, Any]]:
    """"Find your table" for one round of the published schedule: everyone seated, and
    everyone else in the schedule who is here this round but has no meeting in it ("break
    this round", so nobody searches the list for a name that is not there), in the event's
    name order (family name unless the organiser chose first names).

    Every projector polls this, so it reads only that round's meetings (both people in the
    same query) and, for the breaks, the names of the schedule's other people."""
    version = version if version is not None else _published(event)
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
                         "table": info.table_label(m.table), "table_number": m.table, "break": False})
    rows.extend(_break_rows(version, round_number, seated))
    order = event.name_order or "family"
    rows.sort(key=lambda r: (*name_sort_key(r["name"], order), fold(r["company"])))
    return rows


def _break_rows(version: ScheduleVersion, round_number: int, seated: set[int]) -> list[dict[str, Any]]:
    """People of ``version`` who sit this round out: not seated, not withdrawn or gone home,
    and due this round by their availability. A re-plan's people are those it placed from its
    first open round on, so no-shows it left out are not listed as on a break."""
    planned = (ScheduleMeeting.version_id == version.id) & (ScheduleMeeting.round >= (version.from_round or 1))
    in_version = (select(ScheduleMeeting.a_id).where(planned)
                  .union(select(ScheduleMeeting.b_id).where(planned)))
    people = db.session.execute(
        select(Attendee.id, Attendee.name, Attendee.company, Attendee.available_rounds)
        .where(Attendee.id.in_(in_version), Attendee.withdrawn_at.is_(None), Attendee.left_at.is_(None))
    ).all()
    rows = []
    for person in people:
        if person.id in seated:
            continue
        available = parse_rounds(person.available_rounds)
        if available is not None and round_number not in available:
            continue
        rows.append({"name": person.name, "company": person.company, "table": BREAK_LABEL,
                     "table_number": None, "break": True})
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
                  version: ScheduleVersion | None) -> list[dict[str, str]]:
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
    return cache.get(key, lambda _key: table_list(event, round_number, version))


def display_state(event: Event, now: dt.datetime) -> dict[str, Any]:
    """Everything the room display shows, as JSON-ready data (no personal data beyond the
    names and companies on the tables)."""
    state = clock_state(event, now)
    shown = state.shown_round
    version = _published(event)
    published = version is not None
    rows = _display_rows(event, shown, version)
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
    }


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
