"""Printing speed: 2,000 badges (each layout) and 2,000 agendas, in pages per second.

Run: .venv/bin/python bench/bench_badges.py [N]. Prints a table; no assertions. The target is
under 60 s for 2,000 of each on a 2-core machine. Attendees come from the seeded generator and
the schedule is a simple rotation, so figures are comparable between runs.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from badges import (  # noqa: E402
    BadgeItem,
    render_agendas,
    render_badges,
    render_checkin_list,
    render_master_grid,
    render_table_sheets,
)
from badges.tokens import derive_token  # noqa: E402
from scheduler.domain import Attendee, EventInfo, Meeting, Schedule, Timetable  # noqa: E402
from scheduler.generator import generate_event  # noqa: E402

ROUNDS = 10


def rotation(attendees: list[Attendee], rounds: int) -> Schedule:
    ids = [a.id for a in attendees]
    tables = len(ids) // 2
    meetings = []
    for r in range(1, rounds + 1):
        order = ids[r:] + ids[:r]
        meetings += [Meeting(r, t + 1, order[2 * t], order[2 * t + 1], reason="rotation") for t in range(tables)]
    return Schedule(rounds=rounds, tables=tables, meetings=tuple(meetings))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    attendees = generate_event(n, rounds=ROUNDS, seed=7)
    key = b"bench-key-0123456789abcdef"
    payloads = {a.id: derive_token(a.id, key) for a in attendees}
    items = [BadgeItem(a, payloads[a.id], i) for i, a in enumerate(attendees, 1)]
    schedule = rotation(attendees, ROUNDS)
    event = EventInfo("Partner Summit 2026", Timetable(dt.datetime(2026, 5, 4, 9, 0), 8, 2, ROUNDS), venue="Hall B")
    reasons = {(m.a_id, m.b_id): "You both work on cloud migration; cross-region" for m in schedule.meetings}
    jobs = [
        (f"badges a6 x{n}", lambda out: render_badges(items, out, layout="a6", event=event)),
        (f"badges avery-5392 x{n}", lambda out: render_badges(items, out, layout="avery-5392", crop_marks=True)),
        (f"badges a4-10 x{n}", lambda out: render_badges(items, out, layout="a4-10")),
        (f"agendas x{n}", lambda out: render_agendas(attendees, schedule, event, out, qr_payloads=payloads,
                                                     reasons=reasons)),
        ("table sheets", lambda out: render_table_sheets(schedule, attendees, event, out)),
        ("master grid", lambda out: render_master_grid(schedule, attendees, event, out)),
        ("check-in list", lambda out: render_checkin_list(attendees, out, event=event)),
    ]
    print(f"{'job':<26}{'pages':>8}{'seconds':>10}{'pages/s':>10}{'MB':>8}")
    for name, job in jobs:
        out = io.BytesIO()
        start = time.perf_counter()
        pages = job(out)
        seconds = time.perf_counter() - start
        print(f"{name:<26}{pages:>8}{seconds:>10.2f}{pages / seconds:>10.1f}{len(out.getvalue()) / 1e6:>8.1f}")


if __name__ == "__main__":
    main()
