"""Organiser sheets: the master grid, one sheet per table, and the check-in list.

These are what the staff desk works from when screens fail: the grid answers "who is at table
12 in round 3", the table sheet sits on the table itself, and the check-in list is ticked by
hand with the badge numbers printed on the badges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from badges.agenda import event_line, round_times
from badges.badge import format_number
from badges.names import sorted_people
from badges.pdf import Target, mm, open_canvas
from badges.text import LEADING, draw_line, fit_text, truncate
from scheduler.domain import Attendee, EventInfo, Meeting, Schedule, index_attendees

MARGIN = 14 * mm
GRID_ROUNDS_PER_PAGE = 8


def _title(canvas: Canvas, width: float, height: float, title: str, subtitle: str, page: int) -> float:
    draw_line(canvas, MARGIN, height - MARGIN - 14, truncate(title, width - 2 * MARGIN - 25 * mm, 15, True),
              15, bold=True)
    canvas.setFillColorRGB(0.35, 0.35, 0.35)
    draw_line(canvas, width - MARGIN, height - MARGIN - 14, f"page {page}", 8, align="right")
    draw_line(canvas, MARGIN, height - MARGIN - 28, truncate(subtitle, width - 2 * MARGIN, 9), 9)
    canvas.setFillColorRGB(0, 0, 0)
    return height - MARGIN - 46


def _name(people: Mapping[str, Attendee], attendee_id: str) -> str:
    person = people.get(attendee_id)
    return person.name if person else attendee_id


def render_master_grid(schedule: Schedule, attendees: Iterable[Attendee], event: EventInfo,
                       target: Target) -> int:
    """Rounds across, tables down, both names in each cell, on landscape A4. Many tables
    continue on further pages; more than eight rounds continue in a second band of pages.
    Returns the page count."""
    people = index_attendees(attendees)
    size = landscape(A4)
    width, height = size
    canvas = open_canvas(target, size, f"Master grid \u2013 {event.name}")
    cells: dict[tuple[int, int], Meeting] = {(m.round, m.table): m for m in schedule.meetings}
    tables = max([schedule.tables] + [m.table for m in schedule.meetings])
    label_w, row_h, head_h = 20 * mm, 25.0, 26.0
    rows_per_page = max(1, int((height - 2 * MARGIN - 46 - head_h) // row_h))
    page = 0
    for first_round in range(1, schedule.rounds + 1, GRID_ROUNDS_PER_PAGE):
        rounds = list(range(first_round, min(schedule.rounds, first_round + GRID_ROUNDS_PER_PAGE - 1) + 1))
        col_w = (width - 2 * MARGIN - label_w) / len(rounds)
        for first_table in range(1, tables + 1, rows_per_page):
            page += 1
            top = _title(canvas, width, height, f"{event.name} \u2014 master grid", event_line(event), page)
            draw_line(canvas, MARGIN, top - 12, "Table", 8.5, bold=True)
            for i, r in enumerate(rounds):
                x = MARGIN + label_w + i * col_w + 3
                draw_line(canvas, x, top - 8, f"Round {r}", 8.5, bold=True)
                canvas.setFillColorRGB(0.35, 0.35, 0.35)
                draw_line(canvas, x, top - 18, round_times(event, r), 7.5)
                canvas.setFillColorRGB(0, 0, 0)
            y = top - head_h
            canvas.setLineWidth(0.3)
            for table in range(first_table, min(tables, first_table + rows_per_page - 1) + 1):
                canvas.setStrokeColorRGB(0.7, 0.7, 0.7)
                canvas.line(MARGIN, y, width - MARGIN, y)
                canvas.setStrokeColorRGB(0, 0, 0)
                label = fit_text(event.table_label(table), label_w - 4, row_h - 6, max_size=13, min_size=7,
                                 bold=True, max_lines=1)
                draw_line(canvas, MARGIN, y - 4 - label.size, label.lines[0], label.size, bold=True)
                for i, r in enumerate(rounds):
                    meeting = cells.get((r, table))
                    x = MARGIN + label_w + i * col_w + 3
                    if meeting is None:
                        canvas.setFillColorRGB(0.6, 0.6, 0.6)
                        draw_line(canvas, x, y - 12, "\u2014", 8)
                        canvas.setFillColorRGB(0, 0, 0)
                        continue
                    for k, who in enumerate((meeting.a_id, meeting.b_id)):
                        draw_line(canvas, x, y - 10 - k * 10, truncate(_name(people, who), col_w - 6, 7.5), 7.5)
                y -= row_h
            canvas.line(MARGIN, y, width - MARGIN, y)
            canvas.showPage()
    if page == 0:
        _title(canvas, width, height, f"{event.name} \u2014 master grid", event_line(event), 1)
        canvas.showPage()
        page = 1
    canvas.save()
    return page


def render_table_sheets(schedule: Schedule, attendees: Iterable[Attendee], event: EventInfo,
                        target: Target) -> int:
    """One portrait page per table: the table label as large as fits, then who sits there in
    each round and when. Returns the page count (the number of tables)."""
    people = index_attendees(attendees)
    size = A4
    width, height = size
    canvas = open_canvas(target, size, f"Table sheets \u2013 {event.name}")
    by_round = schedule.by_round()
    tables = max([schedule.tables] + [m.table for m in schedule.meetings])
    row_h = min(56.0, (height - 2 * MARGIN - 230) / max(1, schedule.rounds))
    for table in range(1, tables + 1):
        canvas.setFillColorRGB(0.35, 0.35, 0.35)
        draw_line(canvas, width / 2, height - MARGIN - 12, truncate(event.name, width - 2 * MARGIN, 12, True),
                  12, bold=True, align="centre")
        draw_line(canvas, width / 2, height - MARGIN - 36, "Table", 20, align="centre")
        canvas.setFillColorRGB(0, 0, 0)
        label = fit_text(event.table_label(table), width - 2 * MARGIN, 130, max_size=110, min_size=30,
                         bold=True, max_lines=1)
        y = height - MARGIN - 44 - label.size * 0.95
        draw_line(canvas, width / 2, y, label.lines[0], label.size, bold=True, align="centre")
        y -= 40
        here = {m.round: m for r, ms in by_round.items() for m in ms if m.table == table}
        size_name = min(12.0, row_h / 3)
        for r in range(1, schedule.rounds + 1):
            canvas.setLineWidth(0.3)
            canvas.setStrokeColorRGB(0.7, 0.7, 0.7)
            canvas.line(MARGIN, y + size_name + 6, width - MARGIN, y + size_name + 6)
            canvas.setStrokeColorRGB(0, 0, 0)
            draw_line(canvas, MARGIN, y, f"Round {r}", size_name, bold=True)
            canvas.setFillColorRGB(0.35, 0.35, 0.35)
            draw_line(canvas, MARGIN, y - size_name * LEADING, round_times(event, r), size_name * 0.8)
            canvas.setFillColorRGB(0, 0, 0)
            meeting = here.get(r)
            col = (width - 2 * MARGIN - 40 * mm) / 2
            if meeting is None:
                canvas.setFillColorRGB(0.5, 0.5, 0.5)
                draw_line(canvas, MARGIN + 40 * mm, y, "free this round", size_name)
                canvas.setFillColorRGB(0, 0, 0)
            else:
                for k, who in enumerate((meeting.a_id, meeting.b_id)):
                    x = MARGIN + 40 * mm + k * col
                    person = people.get(who)
                    draw_line(canvas, x, y, truncate(_name(people, who), col - 8, size_name, True), size_name,
                              bold=True)
                    if person:
                        canvas.setFillColorRGB(0.3, 0.3, 0.3)
                        draw_line(canvas, x, y - size_name * LEADING,
                                  truncate(person.company, col - 8, size_name * 0.8), size_name * 0.8)
                        canvas.setFillColorRGB(0, 0, 0)
            y -= row_h
        canvas.showPage()
    if tables == 0:
        canvas.showPage()
    canvas.save()
    return max(tables, 1)


def render_checkin_list(attendees: Iterable[Attendee], target: Target, *,
                        numbers: Mapping[str, int] | None = None, event: EventInfo | str | None = None,
                        name_order: str = "family") -> int:
    """Alphabetical list with an empty checkbox, badge number, name, company, region and
    partner type per attendee, for ticking off arrivals by hand; by family name unless
    ``name_order`` is "first". ``event`` is an EventInfo (name, venue and times in the header)
    or just the event name. Returns the page count."""
    people = sorted_people(list(attendees), name_order)
    size = A4
    width, height = size
    name = event if isinstance(event, str) else event.name if event else ""
    canvas = open_canvas(target, size, f"Check-in list \u2013 {name}" if name else "Check-in list")
    title = f"{name} \u2014 check-in list" if name else "Check-in list"
    details = event_line(event) + " \u00b7 " if isinstance(event, EventInfo) else ""
    subtitle = details + f"{len(people)} attendees"
    x_box, x_no, x_name = MARGIN, MARGIN + 9 * mm, MARGIN + 25 * mm
    x_company = x_name + 62 * mm
    x_region = x_company + 50 * mm
    x_type = x_region + 17 * mm
    row_h = 17.0
    page, index = 0, 0
    while index < len(people) or page == 0:
        page += 1
        top = _title(canvas, width, height, title, subtitle, page)
        canvas.setFillColorRGB(0.35, 0.35, 0.35)
        for x, label in ((x_no, "Badge"), (x_name, "Name"), (x_company, "Company"), (x_region, "Region"),
                         (x_type, "Partner type")):
            draw_line(canvas, x, top, label, 8.5, bold=True)
        canvas.setFillColorRGB(0, 0, 0)
        y = top - 16
        while index < len(people) and y > MARGIN + 6:
            person = people[index]
            canvas.setLineWidth(0.8)
            canvas.rect(x_box, y - 2, 9, 9, stroke=1, fill=0)
            number = numbers.get(person.id) if numbers else None
            if number is not None:
                draw_line(canvas, x_no, y, format_number(number), 9)
            draw_line(canvas, x_name, y, truncate(person.name, x_company - x_name - 6, 10, True), 10, bold=True)
            draw_line(canvas, x_company, y, truncate(person.company, x_region - x_company - 6, 9), 9)
            draw_line(canvas, x_region, y, truncate(person.region, x_type - x_region - 4, 9), 9)
            draw_line(canvas, x_type, y, truncate(person.partner_type, width - MARGIN - x_type, 9), 9)
            canvas.setLineWidth(0.25)
            canvas.setStrokeColorRGB(0.8, 0.8, 0.8)
            canvas.line(MARGIN, y - 5, width - MARGIN, y - 5)
            canvas.setStrokeColorRGB(0, 0, 0)
            y -= row_h
            index += 1
        canvas.showPage()
    canvas.save()
    return page
