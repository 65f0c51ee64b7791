"""Command line: plan a schedule, list pair scores, generate a test event.

    python -m scheduler plan ATTENDEES --rounds R [--tables T] [--time-limit S] [--seed N] [--workers W]
                             [--meetings fill|requested] [--break-spread D] [--requests-file FILE]
                             --out SCHEDULE.csv [--report REPORT.json]
    python -m scheduler scores ATTENDEES --out PAIRS.csv
    python -m scheduler generate N --rounds R --seed S --out FILE
                             [--wishes] [--requests [--meetings M] [--requests-out REQUESTS.csv]]

``--meetings requested`` plans only the requested pairs (the file's must_meet pairs and those of
``--requests-file``, whose rows may give a session or a fixed round) with as few breaks as
possible; ``fill`` (the default) fills every round.

Common options: ``--taxonomy FILE``, ``--weights FILE``, ``--strict``. Bad input exits with
status 2 and every problem on stderr (line and column for attendee files).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from scheduler.domain import Attendee, MeetingRequest, MeetingsMode
from scheduler.importer import (
    AttendeeFileError,
    read_attendee_file,
    read_requests_file,
    write_attendee_file,
    write_requests_file,
)
from scheduler.requests import DEFAULT_BREAK_SPREAD
from scheduler.schedule_io import write_schedule_csv
from scheduler.scoring import score_pairs
from scheduler.solver import PlanRequest, Progress, plan
from scheduler.spreadsheet import safe_cell
from scheduler.taxonomy import ConfigError, load_taxonomy, load_weights
from scheduler.wishes import describe as describe_wishes

if TYPE_CHECKING:
    from tqdm import tqdm

EXIT_BAD_INPUT = 2


class _Bar:
    """tqdm progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, enabled: bool) -> None:
        self._bar: tqdm | None = None   # imported on first use: a pipe or a test never needs it
        self._enabled = enabled

    def __call__(self, progress: Progress) -> None:
        if not self._enabled:
            return
        if self._bar is None:
            from tqdm import tqdm
            self._bar = tqdm(total=progress.rounds_total, unit="round", file=sys.stderr, leave=False)
        self._bar.set_description(progress.phase)
        self._bar.n = progress.rounds_placed
        if progress.bound > 0 and progress.bound != float("inf"):
            self._bar.set_postfix(bound=f"{progress.bound:g}", refresh=False)
        self._bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scheduler", description="speednet scheduler")
    commands = parser.add_subparsers(dest="command", required=True)

    def common(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--taxonomy", type=Path, help="taxonomy YAML (default data/taxonomy.yaml)")
        sub.add_argument("--weights", type=Path, help="scoring weights YAML (default data/scoring.yaml)")
        sub.add_argument("--strict", action="store_true", help="unknown taxonomy names are errors")

    planning = commands.add_parser("plan", help="compute a schedule")
    planning.add_argument("attendees", type=Path)
    planning.add_argument("--rounds", type=int, required=True)
    planning.add_argument("--tables", type=int, help="default: half the attendees, rounded down")
    planning.add_argument("--time-limit", type=float, default=30.0, help="seconds (default 30)")
    planning.add_argument("--seed", type=int, default=0)
    planning.add_argument("--workers", type=int,
                          help="CP-SAT workers (default: SPEEDNET_SOLVER_WORKERS, else every core)")
    planning.add_argument("--meetings", choices=[m.value for m in MeetingsMode], default=MeetingsMode.FILL.value,
                          help="fill every round (default) or plan the requested meetings only")
    planning.add_argument("--break-spread", type=int, default=DEFAULT_BREAK_SPREAD,
                          help="requested only: most two participants' breaks may differ by (default 2)")
    planning.add_argument("--requests-file", type=Path,
                          help="requested only: CSV/XLSX of requests (a_id, b_id, session, round)")
    planning.add_argument("--out", type=Path, required=True)
    planning.add_argument("--report", type=Path)
    common(planning)

    scores = commands.add_parser("scores", help="score every pair allowed to meet")
    scores.add_argument("attendees", type=Path)
    scores.add_argument("--out", type=Path, required=True)
    scores.add_argument("--rounds", type=int, help="check availability against this many rounds")
    common(scores)

    generate = commands.add_parser("generate", help="write a seeded random attendee file")
    generate.add_argument("n", type=int)
    generate.add_argument("--rounds", type=int, required=True)
    generate.add_argument("--seed", type=int, default=0)
    generate.add_argument("--out", type=Path, required=True)
    generate.add_argument("--taxonomy", type=Path)
    generate.add_argument("--wishes", action="store_true",
                          help="give attendees Must, Want and No wishes (popular people wished most; "
                               "some mark no one)")
    generate.add_argument("--requests", action="store_true",
                          help="a requested-only event: must_meet holds the requests (B2B shapes)")
    generate.add_argument("--meetings", type=int, help="with --requests: how many requests (default 0.3 n rounds)")
    generate.add_argument("--requests-out", type=Path,
                          help="with --requests: also write the requests with their sessions and fixed rounds")
    return parser


def _load(args: argparse.Namespace, rounds: int | None) -> list[Attendee]:
    taxonomy = load_taxonomy(args.taxonomy) if args.taxonomy else None
    return read_attendee_file(args.attendees, taxonomy=taxonomy, strict=args.strict, rounds=rounds).attendees


def _plan(args: argparse.Namespace) -> int:
    if args.rounds < 1:
        print("--rounds must be at least 1", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.tables is not None and args.tables < 0:
        print("--tables must not be negative", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.break_spread < 0:
        print("--break-spread must not be negative", file=sys.stderr)
        return EXIT_BAD_INPUT
    attendees = _load(args, args.rounds)
    requests: list[MeetingRequest] = []
    if args.requests_file:
        requests = read_requests_file(args.requests_file, rounds=args.rounds, known_ids=[a.id for a in attendees])
    weights = load_weights(args.weights)
    bar = _Bar(sys.stderr.isatty())
    try:
        result = plan(PlanRequest(attendees, args.rounds, args.tables, weights,
                                  time_limit=args.time_limit, seed=args.seed, workers=args.workers,
                                  meetings=MeetingsMode(args.meetings), break_spread=args.break_spread,
                                  requests=requests),
                      progress=bar)
    finally:
        bar.close()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_schedule_csv(result.schedule, attendees, args.out)
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(result.report.to_dict(), indent=2, ensure_ascii=False) + "\n",
                               encoding="utf-8")
    print(result.report.message)
    for line in result.report.messages:
        print(f"  {line}")
    report = result.report
    print(f"  breaks: {report.breaks_total} in total, worst participant {report.breaks_worst}, "
          f"spread {report.breaks_spread}" + ("" if report.meetings_mode == MeetingsMode.FILL else
                                             " (optimal)" if report.breaks_optimal else
                                             f" (at least {report.breaks_bound} possible)"))
    if report.wishes.requested or report.wishes.no_pairs_met:
        print(f"  {describe_wishes(report.wishes)}")
    if report.meetings_mode == MeetingsMode.REQUESTED:
        for a, b, _, why in report.requests_unscheduled:
            print(f"  request not scheduled: {a} + {b}: {why}")
    else:
        for a, b, why in report.must_meet_unkept:
            print(f"  must-meet not kept: {a} + {b}: {why}")
    return EXIT_BAD_INPUT if result.report.status == "INVALID" else 0


def _scores(args: argparse.Namespace) -> int:
    attendees = _load(args, args.rounds)
    pairs = score_pairs(attendees, load_weights(args.weights))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(["a_id", "b_id", "score"])
        for a_id, b_id, score in pairs.scores_only():
            writer.writerow([safe_cell(a_id), safe_cell(b_id), score])
    print(f"{len(pairs)} pairs allowed to meet among {len(attendees)} attendees")
    return 0


def _generate(args: argparse.Namespace) -> int:
    from scheduler.generator import generate_event, generate_wishes

    taxonomy = load_taxonomy(args.taxonomy) if args.taxonomy else None
    if not args.requests:
        if args.meetings is not None or args.requests_out is not None:
            print("--meetings and --requests-out need --requests", file=sys.stderr)
            return EXIT_BAD_INPUT
        attendees = generate_event(args.n, rounds=args.rounds, seed=args.seed, taxonomy=taxonomy)
        if args.wishes:
            attendees = generate_wishes(attendees, seed=args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        write_attendee_file(attendees, args.out)
        print(f"{len(attendees)} attendees written to {args.out}")
        return 0
    from scheduler.generator import generate_requests_event

    event = generate_requests_event(args.n, rounds=args.rounds, seed=args.seed, meetings=args.meetings,
                                    taxonomy=taxonomy)
    if args.wishes:
        event = replace(event, attendees=generate_wishes(event.attendees, seed=args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_attendee_file(event.attendees, args.out)
    print(f"{len(event.attendees)} attendees and {len(event.requests)} requests written to {args.out}")
    if args.requests_out:
        args.requests_out.parent.mkdir(parents=True, exist_ok=True)
        write_requests_file(event.requests, args.requests_out)
        print(f"sessions and fixed rounds written to {args.requests_out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"plan": _plan, "scores": _scores, "generate": _generate}
    try:
        return handlers[args.command](args)
    except AttendeeFileError as exc:
        print(str(exc), file=sys.stderr)
    except (ConfigError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except OSError as exc:
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
    return EXIT_BAD_INPUT
