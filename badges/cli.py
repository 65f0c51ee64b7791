"""Command line: ``python -m badges badges|agendas|tables|grid|checkin-list ...``.

Reads the scheduler's file formats (attendee CSV/XLSX, schedule CSV) and writes one PDF. Bad
input ends with the importer's own message on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from badges.agenda import ReasonSource, render_agendas
from badges.badge import BadgeItem, render_badges
from badges.layouts import LAYOUTS
from badges.names import NAME_ORDERS, sorted_people
from badges.sheets import render_checkin_list, render_master_grid, render_table_sheets
from badges.tokens import TokenError, badge_numbers, qr_payloads
from scheduler.domain import Attendee, EventInfo, Schedule, Timetable


class UsageError(Exception):
    """Input the command cannot use; the message is printed as is."""


def _warn(message: str) -> None:
    print(message, file=sys.stderr)


def _read_attendees(path: str) -> list[Attendee]:
    from scheduler.importer import AttendeeFileError, read_attendee_file
    if not Path(path).is_file():
        raise UsageError(f"cannot read {path}: no such file")
    try:
        result = read_attendee_file(path)
    except AttendeeFileError as exc:
        raise UsageError(str(exc)) from None
    for warning in result.warnings:
        _warn(f"warning: {Path(path).name}: {warning}")
    return list(result.attendees)


def _read_schedule(path: str, attendees: Sequence[Attendee]) -> Schedule:
    from scheduler.schedule_io import read_schedule_csv
    if not Path(path).is_file():
        raise UsageError(f"cannot read {path}: no such file")
    try:
        return read_schedule_csv(path, attendees)
    except (ValueError, KeyError) as exc:
        raise UsageError(str(exc)) from None


def _event(args: argparse.Namespace, rounds: int) -> EventInfo:
    try:
        start = dt.datetime.fromisoformat(args.start)
    except ValueError:
        raise UsageError(f"--start {args.start!r} is not an ISO date and time such as 2026-05-04T14:00") from None
    if args.round_minutes < 1 or args.changeover_minutes < 0:
        raise UsageError("--round-minutes must be at least 1 and --changeover-minutes at least 0")
    timetable = Timetable(start=start, round_minutes=args.round_minutes,
                          changeover_minutes=args.changeover_minutes, rounds=max(rounds, 1),
                          timezone=args.timezone)
    return EventInfo(name=args.event_name, timetable=timetable, venue=args.venue)


def _reasons() -> ReasonSource:
    """Reasons from each viewer's side with the product's scoring weights."""
    from scheduler.scoring import explain_for
    from scheduler.taxonomy import load_weights
    weights = load_weights()
    return lambda viewer, partner: explain_for(viewer, partner, weights)


def _payloads(args: argparse.Namespace, attendees: Sequence[Attendee]) -> dict[str, str]:
    return qr_payloads(attendees, tokens_file=args.tokens, warn=_warn)


def cmd_badges(args: argparse.Namespace) -> str:
    attendees = _read_attendees(args.attendees)
    payloads = _payloads(args, attendees)
    numbers = badge_numbers(attendees)
    items = [BadgeItem(a, payloads[a.id], numbers[a.id]) for a in sorted_people(attendees, args.name_order)]
    pages = render_badges(items, args.out, layout=args.layout, crop_marks=args.crop_marks,
                          event=args.event_name or None)
    return f"{len(items)} badges on {pages} page(s), layout {args.layout}"


def cmd_agendas(args: argparse.Namespace) -> str:
    attendees = _read_attendees(args.attendees)
    schedule = _read_schedule(args.schedule, attendees)
    event = _event(args, schedule.rounds)
    pages = render_agendas(attendees, schedule, event, args.out, qr_payloads=_payloads(args, attendees),
                           reasons=_reasons(), name_order=args.name_order)
    return f"{len(attendees)} agendas on {pages} page(s)"


def cmd_tables(args: argparse.Namespace) -> str:
    attendees = _read_attendees(args.attendees)
    schedule = _read_schedule(args.schedule, attendees)
    pages = render_table_sheets(schedule, attendees, _event(args, schedule.rounds), args.out)
    return f"{pages} table sheet(s)"


def cmd_grid(args: argparse.Namespace) -> str:
    attendees = _read_attendees(args.attendees)
    schedule = _read_schedule(args.schedule, attendees)
    pages = render_master_grid(schedule, attendees, _event(args, schedule.rounds), args.out)
    return f"master grid of {schedule.tables} tables x {schedule.rounds} rounds on {pages} page(s)"


def cmd_checkin_list(args: argparse.Namespace) -> str:
    attendees = _read_attendees(args.attendees)
    pages = render_checkin_list(attendees, args.out, numbers=badge_numbers(attendees), event=args.event_name or None,
                                name_order=args.name_order)
    return f"{len(attendees)} attendees on {pages} page(s)"


def _timetable_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("schedule", metavar="SCHEDULE.csv", help="schedule CSV written by `python -m scheduler plan`")
    parser.add_argument("--event-name", default="Speed networking", help="event name printed on every page")
    parser.add_argument("--start", required=True, help="local start of round 1, e.g. 2026-05-04T14:00")
    parser.add_argument("--round-minutes", type=int, default=8, help="length of a round (default 8)")
    parser.add_argument("--changeover-minutes", type=int, default=2, help="time to change tables (default 2)")
    parser.add_argument("--venue", default="", help="venue printed under the event name")
    parser.add_argument("--timezone", default="UTC", help="time zone label printed with the times")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m badges", description="Print speednet badges, agendas and sheets.")
    sub = parser.add_subparsers(dest="command", required=True)
    commands: list[tuple[str, Callable[[argparse.Namespace], str], str, bool]] = [
        ("badges", cmd_badges, "name badges with check-in QR codes", False),
        ("agendas", cmd_agendas, "one personal agenda per attendee, in name order", True),
        ("tables", cmd_tables, "one sheet per table: who sits there in which round", True),
        ("grid", cmd_grid, "master grid of rounds and tables (landscape)", True),
        ("checkin-list", cmd_checkin_list, "alphabetical check-in list with badge numbers", False),
    ]
    for name, handler, help_text, needs_schedule in commands:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.add_argument("attendees", metavar="ATTENDEES", help="attendee file (.csv or .xlsx)")
        if needs_schedule:
            _timetable_options(command)
        else:
            command.add_argument("--event-name", default="", help="event name printed in the header")
        command.add_argument("--out", required=True, help="PDF file to write")
        if name in ("badges", "agendas"):
            command.add_argument("--tokens", help="CSV with columns id,token: the QR payload per attendee")
        if name in ("badges", "agendas", "checkin-list"):
            command.add_argument("--name-order", default="family", choices=NAME_ORDERS,
                                 help="sort by family name (last word of the name, default) or first name")
        if name == "badges":
            command.add_argument("--layout", default="a6", choices=sorted(LAYOUTS), help="sheet layout (default a6)")
            command.add_argument("--crop-marks", action="store_true", help="print cut lines in the sheet margins")
        command.set_defaults(handler=handler)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        summary = args.handler(args)
    except (UsageError, TokenError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.out}: {summary}")
    return 0
