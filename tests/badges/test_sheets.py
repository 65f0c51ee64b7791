"""Organiser sheets: master grid, one sheet per table, alphabetical check-in list."""

from __future__ import annotations

import dataclasses
import re

from badges import render_checkin_list, render_master_grid, render_table_sheets
from badges.names import sorted_people
from scheduler.domain import Attendee, Meeting, Schedule
from tests.badges.conftest import page_count, page_texts, to_bytes


def test_table_sheets_one_page_per_table_with_who_sits_there(attendees, schedule, event) -> None:
    pdf = to_bytes(render_table_sheets, schedule, attendees, event)
    texts = page_texts(pdf)
    assert len(texts) == schedule.tables
    people = {a.id: a for a in attendees}
    for table, text in enumerate(texts, start=1):
        assert event.table_label(table) in text
        for meeting in (m for m in schedule.meetings if m.table == table):
            assert people[meeting.a_id].company in text and people[meeting.b_id].company in text
        assert "Round 6" in text and "14:00\u201314:08" in text


def test_master_grid_paginates_many_tables(event) -> None:
    people = [Attendee(f"A{i:03d}", f"Person {i:03d}", f"Co {i}", "NA", "ISV") for i in range(120)]
    meetings = tuple(Meeting(r, t + 1, people[2 * t].id, people[2 * t + 1].id)
                     for r in range(1, 4) for t in range(60))
    schedule = Schedule(rounds=3, tables=60, meetings=meetings)
    plain_labels = dataclasses.replace(event, table_labels=())
    pdf = to_bytes(render_master_grid, schedule, people, plain_labels)
    texts = page_texts(pdf)
    assert len(texts) > 1
    joined = "\n".join(texts)
    assert all(f"Person {i:03d}" in joined for i in range(120))
    for table, first in ((1, 0), (30, 58), (60, 118)):     # table label, then its first pair
        assert re.search(rf"(?m)^{table}\s+Person {first:03d}", joined)


def test_master_grid_shows_labels_and_pairs(attendees, schedule, event) -> None:
    text = "\n".join(page_texts(to_bytes(render_master_grid, schedule, attendees, event)))
    for label in ("A1", "B1", "B2"):    # A2's line starts with an Arabic name, which extraction reorders
        assert label in text
    assert "Round 1" in text and "Round 6" in text and "14:45\u201314:53" in text
    for person in attendees:
        assert person.name in text or any("\u0600" <= c <= "\u06ff" for c in person.name)


def test_checkin_list_is_alphabetical_with_badge_numbers(attendees) -> None:
    numbers = {a.id: i for i, a in enumerate(attendees, start=1)}
    text = page_texts(to_bytes(render_checkin_list, attendees, numbers=numbers, event="Summit"))[0]
    latin = [a for a in sorted_people(attendees) if a.name.isascii() or a.name[0].isalpha() and a.name[0] < "\u0370"]
    positions = [text.index(a.name) for a in latin]
    assert positions == sorted(positions)
    for person in attendees:
        assert f"#{numbers[person.id]:04d}" in text
    assert "<b>Smith & Sons</b>" in text


def test_checkin_list_paginates(event) -> None:
    people = [Attendee(f"A{i:03d}", f"Person {i:03d}", "Co", "NA", "ISV") for i in range(150)]
    pdf = to_bytes(render_checkin_list, people, event=event)
    assert page_count(pdf) >= 3
    assert "Person 149" in page_texts(pdf)[-1]
