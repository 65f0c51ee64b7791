"""Name badges: one design that adapts to the badge's shape, placed on sheets by a layout.

The name is what people read across a table, so it gets the most room: it shrinks when long,
then wraps to two balanced lines, and only as a last resort is cut with an ellipsis; it never
leaves the badge. The QR code carries the opaque check-in token the caller gives and nothing
personal, so a lost badge reveals no e-mail address or id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.pdfgen.canvas import Canvas

from badges.layouts import BadgeLayout, get_layout
from badges.pdf import Target, mm, open_canvas
from badges.qr import draw_qr
from badges.text import LEADING, Align, draw_line, fit_text, ink_extent, text_width, truncate, wrap_limited
from scheduler.domain import Attendee, EventInfo

#: Accent colour of the top band per region, so partners spot each other's region at a glance.
REGION_COLOURS: dict[str, tuple[float, float, float]] = {
    "APAC": (0.80, 0.25, 0.15),
    "EMEA": (0.10, 0.35, 0.65),
    "LATAM": (0.15, 0.55, 0.30),
    "NA": (0.45, 0.25, 0.60),
}
DEFAULT_COLOUR = (0.25, 0.25, 0.25)


@dataclass(frozen=True)
class BadgeItem:
    """One badge to print: the person, the QR payload (an opaque token) and an optional number."""

    attendee: Attendee
    qr_payload: str
    number: int | None = None


def region_colour(region: str) -> tuple[float, float, float]:
    return REGION_COLOURS.get(region.strip().upper(), DEFAULT_COLOUR)


def format_number(number: int) -> str:
    return f"#{number:04d}"


@dataclass(frozen=True)
class _Box:
    x: float
    y: float        # top edge: text flows downwards
    width: float


#: A company name wraps to two lines and shrinks no further than this (points at scale 1.0,
#: so 9 pt on A6) before it is shortened with an ellipsis: smaller is unreadable at arm's length.
COMPANY_FLOOR = 6.6
COMPANY_MIN_FLOOR = 7.5


class _Stack:
    """Places lines top-down so that no line's ink touches the one above it.

    Spacing by font size alone lets the dots under an Arabic name reach into the company line;
    each line is therefore put at its usual leading *or lower*, so that its shaped glyphs' top
    stays ``gap`` clear of the previous line's lowest ink (see :func:`badges.text.ink_extent`).
    """

    def __init__(self, canvas: Canvas, anchor: float, top: float, align: Align, gap: float) -> None:
        self.canvas, self.anchor, self.align, self.gap = canvas, anchor, align, gap
        self.y = top            # where the next line's box starts (previous line's leading)
        self.ink = top          # lowest ink drawn so far

    def baseline_for(self, text: str, size: float, bold: bool) -> float:
        above, _ = ink_extent(text, bold)
        return min(self.y - size, self.ink - self.gap - above * size)

    def fits(self, text: str, size: float, bold: bool, bottom: float) -> bool:
        _, below = ink_extent(text, bold)
        return self.baseline_for(text, size, bold) - max(below * size, size * (LEADING - 1)) >= bottom

    def draw(self, text: str, size: float, bold: bool = False) -> None:
        baseline = self.baseline_for(text, size, bold)
        draw_line(self.canvas, self.anchor, baseline, text, size, bold=bold,
                  align=self.align)
        _, below = ink_extent(text, bold)
        self.ink = baseline - below * size
        self.y = baseline - size * (LEADING - 1)

    def skip(self, space: float) -> None:
        self.y -= space


def _draw_stack(canvas: Canvas, box: _Box, bottom: float, item: BadgeItem, scale: float,
                align: Literal["left", "centre"]) -> None:
    """Name, company, region and partner type, then competencies, from the top of ``box``."""
    attendee = item.attendee
    anchor = {"left": box.x, "centre": box.x + box.width / 2}[align]
    available = box.y - bottom
    stack = _Stack(canvas, anchor, box.y, align, gap=1.5 * scale)
    name = fit_text(attendee.name, box.width, available * 0.55, max_size=30 * scale,
                    min_size=17 * scale, bold=True, floor=9 * scale, max_lines=3)
    for line in name.lines:
        stack.draw(line, name.size, bold=True)
    stack.skip(3 * scale)
    company_size = min(14 * scale, max(name.size * 0.7, 10 * scale))
    floor = max(COMPANY_MIN_FLOOR, COMPANY_FLOOR * scale)
    company = fit_text(attendee.company, box.width, 2 * company_size * LEADING, max_size=company_size,
                       min_size=company_size * 0.8, max_lines=2, floor=min(floor, company_size))
    canvas.setFillColorRGB(0.15, 0.15, 0.15)
    drawn = False
    for line in company.lines:
        if not stack.fits(line, company.size, False, bottom):
            break
        stack.draw(line, company.size)
        drawn = True
    if drawn:
        stack.skip(2 * scale)
    detail_size = 9.5 * scale
    detail = " \u00b7 ".join(part for part in (attendee.region, attendee.partner_type) if part)
    if detail:
        text = truncate(detail, box.width, detail_size, True)
        if stack.fits(text, detail_size, True, bottom):
            canvas.setFillColorRGB(*region_colour(attendee.region))
            stack.draw(text, detail_size, bold=True)
            stack.skip(3 * scale)
    offers = ", ".join(attendee.offers[:3])
    offer_size = 8 * scale
    if offers:
        canvas.setFillColorRGB(0.3, 0.3, 0.3)
        for line in wrap_limited("Offers: " + offers, box.width, offer_size, 2):
            if not stack.fits(line, offer_size, False, bottom):
                break
            stack.draw(line, offer_size)
    canvas.setFillColorRGB(0, 0, 0)


def _draw_band(canvas: Canvas, item: BadgeItem, x: float, y: float, width: float, height: float,
               pad: float, scale: float, event: EventInfo | str | None) -> float:
    """The coloured top band with the event name and badge number; returns its height.

    A long event name first shrinks a little, then wraps to two lines (the band grows to hold
    them), and only then is shortened: the event's name is what tells a guest which badge is
    theirs when two events share a venue."""
    band_text = 8.5 * scale
    number = format_number(item.number) if item.number is not None else ""
    number_width = text_width(number, band_text, True) if number else 0.0
    name = (event if isinstance(event, str) else event.name) if event else ""
    room = width - 2 * pad - (number_width + 4 * mm if number else 0.0)
    title = fit_text(name, room, 2 * band_text * LEADING, max_size=band_text, min_size=band_text * 0.85,
                     bold=True, max_lines=2, floor=max(6.0, 5.5 * scale))
    lines = max(1, len(title.lines))
    band = max(16 * scale, lines * title.size * LEADING + 7 * scale)
    canvas.setFillColorRGB(*region_colour(item.attendee.region))
    canvas.rect(x, y + height - band, width, band, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    first = y + height - (band - lines * title.size * LEADING) / 2 - title.size * 0.85
    if number:
        draw_line(canvas, x + width - pad, first, number, band_text, bold=True, align="right")
    for i, line in enumerate(title.lines):
        draw_line(canvas, x + pad, first - i * title.size * LEADING, line, title.size, bold=True)
    canvas.setFillColorRGB(0, 0, 0)
    return band


def draw_badge(canvas: Canvas, item: BadgeItem, x: float, y: float, width: float, height: float,
               event: EventInfo | str | None = None) -> None:
    """Draw one badge with lower-left corner (x, y). Tall badges put the QR code under the
    text; wide ones put it on the right."""
    pad = max(4 * mm, 0.05 * min(width, height))
    scale = min(width, height) / (3 * 72)          # 1.0 on a 4 x 3 in badge
    scale = max(0.75, min(scale, 1.4))
    canvas.saveState()
    band = _draw_band(canvas, item, x, y, width, height, pad, scale, event)
    top = y + height - band - pad * 0.8
    if height > width * 1.15:
        qr = min(width - 2 * pad, (height - 16 * scale) * 0.42)
        draw_qr(canvas, item.qr_payload, x + (width - qr) / 2, y + pad * 0.5, qr)
        _draw_stack(canvas, _Box(x + pad, top, width - 2 * pad), y + pad * 0.5 + qr, item, scale, "centre")
    else:
        qr = min(height - band - pad, width * 0.36)
        draw_qr(canvas, item.qr_payload, x + width - qr - pad * 0.5, y + pad * 0.5, qr)
        _draw_stack(canvas, _Box(x + pad, top, width - qr - 2 * pad), y + pad * 0.5, item, scale, "left")
    canvas.restoreState()


def _crop_marks(canvas: Canvas, layout: BadgeLayout) -> None:
    """Short cut lines in the sheet margins in line with every badge edge. Layouts whose badge
    fills the page (a6) get none: the page edge is the cut."""
    page_w, page_h = layout.page_size
    xs = sorted({round(layout.slot(c)[0] + dx, 3) for c in range(layout.columns)
                 for dx in (0.0, layout.badge_width)})
    ys = sorted({round(layout.slot(r * layout.columns)[1] + dy, 3) for r in range(layout.rows)
                 for dy in (0.0, layout.badge_height)})
    gap = 1.5 * mm
    canvas.saveState()
    canvas.setLineWidth(0.3)
    canvas.setStrokeColorRGB(0, 0, 0)
    top_room, bottom_room = page_h - ys[-1] - gap, ys[0] - gap
    left_room, right_room = xs[0] - gap, page_w - xs[-1] - gap
    for x_ in xs:
        if top_room >= 2 * mm:
            canvas.line(x_, ys[-1] + gap, x_, ys[-1] + gap + min(6 * mm, top_room))
        if bottom_room >= 2 * mm:
            canvas.line(x_, ys[0] - gap, x_, ys[0] - gap - min(6 * mm, bottom_room))
    for y_ in ys:
        if left_room >= 2 * mm:
            canvas.line(xs[0] - gap, y_, xs[0] - gap - min(6 * mm, left_room), y_)
        if right_room >= 2 * mm:
            canvas.line(xs[-1] + gap, y_, xs[-1] + gap + min(6 * mm, right_room), y_)
    canvas.restoreState()


def render_badges(items: Sequence[BadgeItem], target: Target, layout: str | BadgeLayout = "a6",
                  crop_marks: bool = False, event: EventInfo | str | None = None) -> int:
    """Print ``items`` in the given order on sheets of ``layout``; returns the page count.

    ``event`` (an EventInfo or just its name) puts the event name in each badge's top band.
    ``target`` is a path or a binary file object (``io.BytesIO`` for web downloads). An empty
    list prints one blank sheet so the caller still gets a valid PDF.
    """
    sheet = get_layout(layout)
    event_name = event if isinstance(event, str) else event.name if event else ""
    title = f"Badges \u2013 {event_name}" if event_name else "Badges"
    canvas = open_canvas(target, sheet.page_size, title)
    for index, item in enumerate(items):
        if index and index % sheet.per_page == 0:
            canvas.showPage()
        if index % sheet.per_page == 0 and crop_marks:
            _crop_marks(canvas, sheet)
        x, y = sheet.slot(index % sheet.per_page)
        draw_badge(canvas, item, x, y, sheet.badge_width, sheet.badge_height, event)
    if not items and crop_marks:
        _crop_marks(canvas, sheet)
    canvas.showPage()
    canvas.save()
    return sheet.pages_for(len(items))
