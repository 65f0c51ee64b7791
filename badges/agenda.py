"""Personal agendas: where each attendee sits in every round, whom they meet and why.

An agenda is what an attendee holds during the session, so it lists every round, including the
ones where they sit out, with the same times the room display and calendar files show (all
come from ``EventInfo.timetable``). Reasons are input data from the viewer's point of view:
either a mapping ``(viewer_id, partner_id) -> text`` or a callable ``(viewer, partner) -> text``
(e.g. a closure over ``scheduler.scoring.explain_for`` and the event's weights), so this
module needs no scoring weights of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from badges.badge import region_colour
from badges.names import sorted_people
from badges.pdf import Target, mm, open_canvas
from badges.qr import draw_qr
from badges.text import LEADING, Fitted, clean, draw_line, fit_text, text_width, truncate, wrap_fit, wrap_limited
from scheduler.domain import Attendee, EventInfo, Meeting, Schedule, index_attendees

ReasonSource = Mapping[tuple[str, str], str] | Callable[[Attendee, Attendee], str] | None

BREAK_TEXT = "break \u2014 no meeting this round"
AWAY_TEXT = "not attending this round"
NOT_PLACED_TEXT = ("You will get your agenda when the organisers place you: the next revision of the "
                   "schedule seats new registrations. At the event, check in at the desk.")
MARGIN = 16 * mm


def reason_for(reasons: ReasonSource, viewer: Attendee, partner: Attendee, meeting: Meeting) -> str:
    """The reason shown to ``viewer``, or none. Never the meeting's stored reason: that one is
    the organiser's (:func:`scheduler.scoring.reason_for`) and may name a one-sided wish, which
    an attendee must not learn from their agenda."""
    if reasons is None:
        return ""
    if callable(reasons):
        return reasons(viewer, partner)
    return reasons.get((viewer.id, partner.id), "")


def format_time(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def format_span(start: dt.datetime, end: dt.datetime) -> str:
    return f"{format_time(start)}\u2013{format_time(end)}"


def event_line(event: EventInfo) -> str:
    """Venue, date and session times in one line, as agendas and table sheets print them."""
    timetable = event.timetable
    date = timetable.start.strftime("%A %d %B %Y")
    session = f"{format_span(timetable.start, timetable.end)}"
    if timetable.timezone and timetable.timezone != "UTC":
        session += f" ({timetable.timezone})"
    return " \u00b7 ".join(part for part in (event.venue, date, session) if part)


def round_times(event: EventInfo, round_number: int) -> str:
    if 1 <= round_number <= event.timetable.rounds:
        return format_span(event.timetable.round_start(round_number), event.timetable.round_end(round_number))
    return ""


@dataclass(frozen=True)
class Density:
    """How much of each meeting a row prints: the agenda takes the first that fits one page.

    ``name_lines`` and ``company_lines`` are the lines a partner's name and company take before
    their letters get smaller; neither is ever cut (see :func:`badges.text.wrap_fit`). Only the
    reason, which the organiser's data repeats elsewhere, ends with an ellipsis when long."""

    name_size: float
    name_lines: int
    company_size: float
    company_lines: int
    detail_with_company: bool
    reason_size: float
    reason_lines: int
    padding: float
    pause_height: float
    partner_share: float = 0.48     # of the width right of the table column: "You meet"; the rest: "Why"


DENSITIES: tuple[Density, ...] = (
    Density(11.5, 3, 9.5, 3, False, 9.0, 8, 9.0, 18.0),     # few rounds: larger, using the page
    Density(10.5, 3, 9.0, 3, False, 8.5, 6, 8.0, 16.0),
    Density(10.5, 2, 9.0, 2, False, 8.5, 6, 8.0, 16.0),
    Density(10.5, 2, 9.0, 1, False, 8.5, 3, 7.0, 14.0),
    Density(10.0, 1, 8.5, 1, True, 8.0, 2, 6.0, 12.0),
    Density(9.5, 1, 8.0, 1, True, 7.5, 2, 4.0, 10.0),
    # Many rounds of long names and companies: the partner column widens so they print whole.
    Density(9.5, 1, 8.0, 2, True, 7.5, 2, 4.0, 10.0, 0.62),
    Density(9.5, 1, 8.0, 2, True, 7.5, 1, 3.0, 10.0, 0.72),
)


# One row of the rounds table: round, meeting (None: a sit-out), partner cell lines
# (text, size, bold), reason lines, table label, height in points.
_Row = tuple[int, Meeting | None, list[tuple[str, float, bool]], list[str], str, float]


@dataclass
class _Columns:
    round: float
    time: float
    table: float
    partner: float
    reason: float

    @classmethod
    def for_width(cls, left: float, width: float, partner_share: float = 0.48) -> _Columns:
        round_, time_, table = left, left + 15 * mm, left + 40 * mm
        partner = left + 58 * mm
        reason = partner + (width - 58 * mm) * partner_share
        return cls(round_, time_, table, partner, reason)


class _AgendaWriter:
    """Draws one attendee's pages on a shared canvas (so a batch is one PDF)."""

    def __init__(self, canvas: Canvas, page_size: tuple[float, float], event: EventInfo,
                 people: Mapping[str, Attendee], schedule: Schedule, reasons: ReasonSource) -> None:
        self.canvas, self.event, self.people, self.reasons = canvas, event, people, reasons
        self.schedule = schedule
        self.by_attendee = schedule.by_attendee()
        self.width, self.height = page_size
        self.cols = _Columns.for_width(MARGIN, self.width - 2 * MARGIN)
        self.pages = 0

    # -- page furniture -------------------------------------------------------------------
    def _footer(self, attendee: Attendee, page: int) -> None:
        c = self.canvas
        c.setFillColorRGB(0.4, 0.4, 0.4)
        room = self.width - 2 * MARGIN - 30 * mm
        text = f"{self.event.name} \u00b7 {attendee.name}"
        if text_width(text, 6.5) > room:  # the header has the event's name; a loose page needs the owner's
            text = attendee.name
        footer = fit_whole(text, room, max_size=7.5, min_size=6, max_lines=2)
        for number, line in enumerate(footer.lines):
            draw_line(c, MARGIN, MARGIN * 0.6 - number * footer.size * LEADING, line, footer.size)
        draw_line(c, self.width - MARGIN, MARGIN * 0.6, f"page {page}", 7.5, align="right")
        c.setFillColorRGB(0, 0, 0)

    def _header(self, attendee: Attendee, qr_payload: str | None, first: bool) -> float:
        """Event and attendee block; returns the y where the rounds table starts."""
        c = self.canvas
        top = self.height - MARGIN
        qr_size = 34 * mm if first and qr_payload else 0.0
        text_width = self.width - 2 * MARGIN - (qr_size + 6 * mm if qr_size else 0)
        if qr_size and qr_payload:
            draw_qr(c, qr_payload, self.width - MARGIN - qr_size, top - qr_size, qr_size)
            c.setFillColorRGB(0.4, 0.4, 0.4)
            draw_line(c, self.width - MARGIN - qr_size / 2, top - qr_size - 9, "check-in code", 7, align="centre")
            c.setFillColorRGB(0, 0, 0)
        title = fit_whole(self.event.name, text_width, max_size=17, min_size=12, max_lines=3, bold=True)
        y = top + title.size * (LEADING - 1)
        for line in title.lines:
            y -= title.size * LEADING
            draw_line(c, MARGIN, y, line, title.size, bold=True)
        c.setFillColorRGB(0.3, 0.3, 0.3)
        where = wrap_fit(event_line(self.event), text_width, 9.5, 2, min_size=8)
        y -= 14 - where.size * LEADING
        for line in where.lines:
            y -= where.size * LEADING
            draw_line(c, MARGIN, y, line, where.size)
        c.setFillColorRGB(0, 0, 0)
        y -= 12 * mm if first else 9 * mm
        name = fit_whole(attendee.name + ("" if first else " (continued)"), text_width,
                         max_size=22, min_size=14, max_lines=3, bold=True)
        for line in name.lines:
            draw_line(c, MARGIN, y, line, name.size, bold=True)
            y -= name.size * LEADING
        if first:
            company = wrap_fit(attendee.company, text_width, 11.5, 2, min_size=9.5)
            for line in company.lines:
                draw_line(c, MARGIN, y, line, company.size)
                y -= company.size * LEADING
            y -= 14 - 11.5 * LEADING if company.lines else 0
            c.setFillColorRGB(*region_colour(attendee.region))
            detail = wrap_fit(" \u00b7 ".join(p for p in (attendee.region, attendee.partner_type) if p),
                              text_width, 10, 1, min_size=8, bold=True)
            for number, line in enumerate(detail.lines):
                y -= detail.size * LEADING if number else 0
                draw_line(c, MARGIN, y, line, detail.size, bold=True)
            c.setFillColorRGB(0, 0, 0)
            y -= 6
        y = min(y, top - qr_size - 14)
        return y - 8 * mm

    def _table_header(self, y: float) -> float:
        c, cols = self.canvas, self.cols
        c.setFillColorRGB(0.35, 0.35, 0.35)
        for x, label in ((cols.round, "Round"), (cols.time, "Time"), (cols.table, "Table"),
                         (cols.partner, "You meet"), (cols.reason, "Why you meet")):
            draw_line(c, x, y, label, 8.5, bold=True)
        c.setFillColorRGB(0, 0, 0)
        c.setLineWidth(0.6)
        c.line(MARGIN, y - 4, self.width - MARGIN, y - 4)
        return y - 16

    # -- rows -----------------------------------------------------------------------------
    def _row_lines(self, attendee: Attendee, round_number: int, meeting: Meeting | None,
                   density: Density) -> tuple[list[tuple[str, float, bool]], list[str], str]:
        """Partner cell lines (text, size, bold), reason lines, and the table label."""
        cols = self._columns(density)
        partner_w = cols.reason - cols.partner - 4 * mm
        reason_w = self.width - MARGIN - cols.reason
        if meeting is None:
            text = BREAK_TEXT if attendee.is_available(round_number) else AWAY_TEXT
            return [(text, density.name_size - 0.5, False)], [], "\u2014"
        partner = self.people.get(meeting.partner_of(attendee.id))
        label = self.event.table_label(meeting.table)
        if partner is None:
            return [(f"attendee {meeting.partner_of(attendee.id)}", density.name_size, True)], [], label
        size, small = density.name_size, density.company_size
        name = wrap_fit(partner.name, partner_w, size, density.name_lines, min_size=max(9.0, size - 1.5), bold=True)
        cell = [(line, name.size, True) for line in name.lines]
        detail = " \u00b7 ".join(p for p in (partner.region, partner.partner_type) if p)
        company_text = " \u00b7 ".join(p for p in (partner.company, detail) if p) if density.detail_with_company \
            else partner.company
        company = wrap_fit(company_text, partner_w, small, density.company_lines, min_size=small - 1.5)
        cell += [(line, company.size, False) for line in company.lines]
        if detail and not density.detail_with_company:
            detail_fit = wrap_fit(detail, partner_w, small - 0.5, 1, min_size=small - 1.5)
            cell += [(line, detail_fit.size, False) for line in detail_fit.lines]
        reason = reason_for(self.reasons, attendee, partner, meeting)
        return cell, wrap_limited(reason, reason_w, density.reason_size, density.reason_lines), label

    def _columns(self, density: Density) -> _Columns:
        return _Columns.for_width(MARGIN, self.width - 2 * MARGIN, density.partner_share)

    def _row_height(self, cell: list[tuple[str, float, bool]], reason: list[str], density: Density) -> float:
        return max(sum(size * LEADING for _, size, _ in cell),
                   len(reason) * density.reason_size * LEADING) + density.padding

    def _rows(self, attendee: Attendee, density: Density) -> list[_Row]:
        meetings = {m.round: m for m in self.by_attendee.get(attendee.id, [])}
        rows: list[_Row] = []
        for round_number in range(1, self.schedule.rounds + 1):
            meeting = meetings.get(round_number)
            cell, reason, label = self._row_lines(attendee, round_number, meeting, density)
            rows.append((round_number, meeting, cell, reason, label, self._row_height(cell, reason, density)))
        return rows

    def _layout(self, attendee: Attendee, start: float) -> tuple[Density, list[_Row]]:
        """The most generous density whose rows fit one page below ``start``; when none does,
        the densest with the usual columns, continuing over pages (a wider partner column only
        serves to keep an agenda on one sheet). A 16-round agenda thus stays on one sheet, with
        reasons cut to fewer lines and names and companies smaller only when the page needs it."""
        breaks = sum(1 for b in self.event.timetable.breaks if b.after_round < self.schedule.rounds)
        room = start - 16 - (MARGIN + 10)  # below the table's header row
        for density in DENSITIES:
            rows = self._rows(attendee, density)
            if sum(r[-1] for r in rows) + breaks * density.pause_height <= room:
                return density, rows
        densest = next(d for d in reversed(DENSITIES) if d.partner_share == Density.partner_share)
        return densest, self._rows(attendee, densest)

    def draw(self, attendee: Attendee, qr_payload: str | None) -> None:
        if not self.schedule.for_attendee(attendee.id):
            self._draw_not_placed(attendee, qr_payload)
            return
        c = self.canvas
        page = 1
        top = self._header(attendee, qr_payload, first=True)
        density, rows = self._layout(attendee, top)
        self.cols = self._columns(density)
        y = self._table_header(top)
        breaks = {b.after_round: b.minutes for b in self.event.timetable.breaks}
        for round_number, meeting, cell, reason, label, height in rows:
            if y - height < MARGIN + 10:
                self._footer(attendee, page)
                c.showPage()
                page += 1
                y = self._table_header(self._header(attendee, qr_payload, first=False))
            first = density.name_size
            if meeting is None:
                c.setFillColorRGB(0.94, 0.94, 0.94)
                c.rect(MARGIN, y - height + first - 1.5, self.width - 2 * MARGIN, height, stroke=0, fill=1)
                c.setFillColorRGB(0, 0, 0)
            draw_line(c, self.cols.round, y, str(round_number), first, bold=True)
            draw_line(c, self.cols.time, y, round_times(self.event, round_number), min(first - 0.5, 10.0))
            draw_line(c, self.cols.table, y, truncate(label, self.cols.partner - self.cols.table - 2 * mm, 12, True),
                      12, bold=True)
            line_y = y
            for text, size, bold in cell:
                if meeting is None:
                    c.setFillColorRGB(0.35, 0.35, 0.35)
                draw_line(c, self.cols.partner, line_y, text, size, bold=bold)
                c.setFillColorRGB(0, 0, 0)
                line_y -= size * LEADING
            line_y = y
            c.setFillColorRGB(0.2, 0.2, 0.2)
            for line in reason:
                draw_line(c, self.cols.reason, line_y, line, density.reason_size)
                line_y -= density.reason_size * LEADING
            c.setFillColorRGB(0, 0, 0)
            y -= height
            c.setLineWidth(0.25)
            c.setStrokeColorRGB(0.75, 0.75, 0.75)
            c.line(MARGIN, y + first - 2.5, self.width - MARGIN, y + first - 2.5)
            c.setStrokeColorRGB(0, 0, 0)
            if round_number in breaks and round_number < self.schedule.rounds:
                c.setFillColorRGB(0.35, 0.35, 0.35)
                draw_line(c, self.cols.time, y, f"pause \u2014 {breaks[round_number]} minutes", 9)
                c.setFillColorRGB(0, 0, 0)
                y -= density.pause_height
        self._footer(attendee, page)
        c.showPage()
        self.pages += page

    def _draw_not_placed(self, attendee: Attendee, qr_payload: str | None) -> None:
        """Someone the schedule has no meeting for yet: one page that says when the agenda
        comes, instead of a row of breaks for every round."""
        top = self._header(attendee, qr_payload, first=True)
        fitted = fit_whole(NOT_PLACED_TEXT, self.width - 2 * MARGIN, max_size=13, min_size=10, max_lines=4)
        y = top - 10 * mm
        for line in fitted.lines:
            draw_line(self.canvas, MARGIN, y, line, fitted.size)
            y -= fitted.size * LEADING
        self._footer(attendee, 1)
        self.canvas.showPage()
        self.pages += 1


def fit_whole(text: str, max_width: float, *, max_size: float, min_size: float, max_lines: int,
              bold: bool = False) -> Fitted:
    """:func:`badges.text.fit_text` (one line as large as fits, then balanced lines), but never
    an ellipsis: when even the smallest size would cut ``text``, it wraps onto more lines."""
    fitted = fit_text(text, max_width, max_size * LEADING * max_lines, max_size=max_size, min_size=min_size,
                      bold=bold, max_lines=max_lines, floor=min_size)
    if "".join("".join(fitted.lines).split()) == "".join(clean(text).split()):
        return fitted
    return wrap_fit(text, max_width, min_size, max_lines, min_size=min_size, bold=bold)


def _payload(qr_payloads: Mapping[str, str] | None, attendee: Attendee) -> str | None:
    return qr_payloads.get(attendee.id) if qr_payloads is not None else None


def render_agendas(attendees: Iterable[Attendee], schedule: Schedule, event: EventInfo, target: Target, *,
                   qr_payloads: Mapping[str, str] | None = None, reasons: ReasonSource = None,
                   page_size: tuple[float, float] = A4, name_order: str = "family",
                   partners: Iterable[Attendee] = ()) -> int:
    """One PDF with the agendas of ``attendees`` (each starting on a new page) in name order
    (``name_order``: "family" or "first", see :mod:`badges.names`); ``qr_payloads`` maps
    attendee id to the check-in token; ``partners`` names the schedule's other people (those
    who get no agenda of their own). Returns the page count."""
    people = sorted_people(list(attendees), name_order)
    canvas = open_canvas(target, page_size, f"Agendas \u2013 {event.name}")
    index = index_attendees(partners)
    index.update(index_attendees(people))
    writer = _AgendaWriter(canvas, page_size, event, index, schedule, reasons)
    for attendee in people:
        writer.draw(attendee, _payload(qr_payloads, attendee))
    if not people:
        canvas.showPage()
    canvas.save()
    return max(writer.pages, 1)


def render_agenda(attendee: Attendee, attendees: Iterable[Attendee], schedule: Schedule, event: EventInfo,
                  target: Target, *, qr_payload: str | None = None, reasons: ReasonSource = None,
                  page_size: tuple[float, float] = A4) -> int:
    """The agenda of one attendee (``attendees`` supplies partner names). Returns the page count."""
    canvas = open_canvas(target, page_size, f"Agenda \u2013 {attendee.name}")
    people = index_attendees(attendees)
    people.setdefault(attendee.id, attendee)
    writer = _AgendaWriter(canvas, page_size, event, people, schedule, reasons)
    writer.draw(attendee, qr_payload)
    canvas.save()
    return writer.pages
