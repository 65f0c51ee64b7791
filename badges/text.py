"""Measuring, fitting and drawing one line of user text with mixed scripts.

Every string a user typed (names, companies, reasons) goes through :func:`layout_line`, which
splits it into runs of one font (fallback by cmap, see :mod:`badges.fonts`), puts the runs in
visual order (a simplified bidi: right-to-left runs are shaped by HarfBuzz, which also
reverses them, and a paragraph whose first strong letter is right-to-left lists its runs from
the right), and measures them. Text is drawn with ``canvas.drawString``, never through
Paragraph markup, so ``<b>Smith & Sons</b>`` prints exactly as typed.

Widths scale linearly with the font size, so a layout is computed once per (text, weight) at
unit size and cached; fitting a name to a box is then arithmetic, not trial rendering.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import uharfbuzz as hb
from reportlab.lib.abag import ABag
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import shapeFragWord
from reportlab.pdfgen.canvas import Canvas

from badges.fonts import (
    REPLACEMENT_CHAR,
    base_font,
    covers,
    font_file,
    font_for_char,
    is_presentation_form,
    remember_logical,
)

Align = Literal["left", "centre", "right"]
ELLIPSIS = "\u2026"
LEADING = 1.18            # line height as a multiple of the font size
_SHAPE_SIZE = 10.0        # HarfBuzz advances are scaled to 1/1000 em, so any size will do


@dataclass(frozen=True)
class Piece:
    """A run of one font in visual order; ``text`` may be a ReportLab ShapedStr."""

    font: str
    text: str
    unit_width: float     # width at font size 1


@dataclass(frozen=True)
class Fitted:
    """Result of fitting text into a box: the chosen size and the lines to draw."""

    size: float
    lines: tuple[str, ...]

    def height(self) -> float:
        return self.size * LEADING * len(self.lines)


def clean(text: str) -> str:
    """NFC-normalise and turn control characters (tabs, newlines) into spaces."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)


def _strong(char: str) -> str | None:
    bidi = unicodedata.bidirectional(char)
    if bidi in ("R", "AL"):
        return "R"
    if bidi == "L":
        return "L"
    return None


def _base_direction(text: str) -> str:
    for char in text:
        direction = _strong(char)
        if direction:
            return direction
    return "L"


def _directions(text: str, base: str) -> list[str]:
    """Direction per character; digits run left to right, neutrals follow their neighbours."""
    own = [_strong(c) or ("L" if unicodedata.bidirectional(c) in ("EN", "AN") else None) for c in text]
    resolved: list[str] = []
    for i, direction in enumerate(own):
        if direction:
            resolved.append(direction)
            continue
        before = next((d for d in reversed(own[:i]) if d), base)
        after = next((d for d in own[i + 1:] if d), base)
        resolved.append(before if before == after else base)
    return resolved


def _fonts(text: str, bold: bool) -> tuple[str, list[str]]:
    """Font per character; spaces and punctuation stay in the surrounding font when it has them."""
    fallback = base_font(bold)
    chars = list(text)
    own: list[str | None] = []
    for i, char in enumerate(chars):
        neutral = char.isspace() or unicodedata.category(char)[0] in "PZS"
        own.append(None if neutral else font_for_char(char, bold))
        if not neutral and own[-1] is None:
            chars[i] = REPLACEMENT_CHAR
            own[-1] = fallback
    fonts: list[str] = []
    for i, char in enumerate(chars):
        font = own[i]
        if font:
            fonts.append(font)
            continue
        before = fonts[-1] if fonts else None
        after = next((f for f in own[i + 1:] if f), None)
        for candidate in (before, after):
            if candidate and covers(candidate, char):
                fonts.append(candidate)
                break
        else:
            fonts.append(font_for_char(char, bold) or fallback)
            if font_for_char(char, bold) is None:
                chars[i] = REPLACEMENT_CHAR if not char.isspace() else " "
    return "".join(chars), fonts


def _needs_shaping(text: str, direction: str, font: str) -> bool:
    return direction == "R" or "Arabic" in font or any(unicodedata.combining(c) for c in text)


# No optional ligatures: "محمد" prints letter by letter, as typed, and every glyph but the
# required lam-alef stands for one character, which is what a reader copying the text gets.
_FEATURES = {"kern": True, "liga": False, "dlig": False}


def _shape(text: str, font: str) -> str:
    """``text`` shaped by HarfBuzz (through ReportLab, which then draws its glyphs)."""
    word = [pdfmetrics.stringWidth(text, font, _SHAPE_SIZE), (ABag(fontName=font, fontSize=_SHAPE_SIZE), text)]
    shaped: str = shapeFragWord(word, features=_FEATURES, force=True)[1][1]
    return shaped


def _remember_sources(font: str, drawn: str, clusters: list[int], text: str, direction: str) -> None:
    """For each drawn glyph named by a presentation form or a private-use code point, record
    the characters of ``text`` its cluster covers, so a reader copying the PDF gets the name as
    typed (see :func:`badges.fonts.to_unicode_cmap`).

    A right-to-left run is drawn in visual order and PDF readers (PDFium in Chrome, Poppler)
    reverse what they extract from it character by character, so the one glyph that stands for
    two letters there, lam-alef, is recorded in visual order too: "لا" copies as lam, alef."""
    starts = sorted(set(clusters))
    ends = dict(zip(starts, [*starts[1:], len(text)]))
    seen: set[int] = set()
    for char, cluster in zip(drawn, clusters):
        if cluster in seen or not 0 <= cluster < len(text):
            continue
        seen.add(cluster)
        code = ord(char)
        if is_presentation_form(code) or 0xE000 <= code <= 0xF8FF:
            source = text[cluster:ends[cluster]]
            remember_logical(font, code, source[::-1] if direction == "R" else source)


def _piece(text: str, font: str, direction: str) -> Piece:
    if _needs_shaping(text, direction, font):
        shaped = _shape(text, font)
        data = getattr(shaped, "__shapeData__", None)
        if data is not None:
            _remember_sources(font, str(shaped), [d.cluster for d in data], text, direction)
            return Piece(font, shaped, sum(d.x_advance for d in data) / 1000.0)
        if direction == "R":
            text = text[::-1]
    return Piece(font, text, pdfmetrics.stringWidth(text, font, 1.0))


@lru_cache(maxsize=200_000)
def layout_line(text: str, bold: bool = False) -> tuple[Piece, ...]:
    """Pieces of ``text`` in visual (left-to-right drawing) order, measured at size 1."""
    text = clean(text)
    if not text:
        return ()
    base = _base_direction(text)
    directions = _directions(text, base)
    text, fonts = _fonts(text, bold)
    # runs of one (direction, font), in logical order
    runs: list[tuple[str, str, str]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or (directions[i], fonts[i]) != (directions[start], fonts[start]):
            runs.append((text[start:i], fonts[start], directions[start]))
            start = i
    # group runs of one direction, then order groups and the runs inside them visually
    groups: list[list[tuple[str, str, str]]] = []
    for run in runs:
        if groups and groups[-1][0][2] == run[2]:
            groups[-1].append(run)
        else:
            groups.append([run])
    if base == "R":
        groups.reverse()
    pieces: list[Piece] = []
    for group in groups:
        ordered = reversed(group) if group[0][2] == "R" else group
        pieces.extend(_piece(t, f, d) for t, f, d in ordered)
    return tuple(pieces)


def unit_width(text: str, bold: bool = False) -> float:
    return sum(p.unit_width for p in layout_line(text, bold))


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Printed width of ``text`` at ``size`` points, with fallback fonts and shaping applied."""
    return unit_width(text, bold) * size


@lru_cache(maxsize=16)
def _hb_font(font: str) -> tuple[hb.Font, int]:
    face = hb.Face(hb.Blob.from_file_path(str(font_file(font))))
    return hb.Font(face), face.upem


@lru_cache(maxsize=200_000)
def ink_extent(text: str, bold: bool = False) -> tuple[float, float]:
    """(height above, depth below) the baseline of the glyphs ``text`` actually draws, at size 1.

    Line spacing from the font size alone lets the dots under Arabic letters (and marks above
    them) reach into the next line; stacking lines by their shaped glyphs' extents keeps a name
    clear of the company below it. Marks placed by HarfBuzz count at their offset position.
    """
    top = depth = 0.0
    for piece in layout_line(text, bold):
        font, upem = _hb_font(piece.font)
        buffer = hb.Buffer()
        buffer.add_str(str(piece.text))
        buffer.guess_segment_properties()
        hb.shape(font, buffer, {})
        for info, pos in zip(buffer.glyph_infos, buffer.glyph_positions):
            extents = font.get_glyph_extents(info.codepoint)
            if extents is None or extents.height == 0:
                continue
            glyph_top = (pos.y_offset + extents.y_bearing) / upem
            glyph_bottom = (pos.y_offset + extents.y_bearing + extents.height) / upem
            top, depth = max(top, glyph_top), max(depth, -glyph_bottom)
    return top, depth


def draw_line(canvas: Canvas, x: float, y: float, text: str, size: float, *, bold: bool = False,
              align: Align = "left") -> float:
    """Draw one line with its baseline at ``y``; returns the width drawn."""
    pieces = layout_line(text, bold)
    width = sum(p.unit_width for p in pieces) * size
    if align == "centre":
        x -= width / 2
    elif align == "right":
        x -= width
    for piece in pieces:
        canvas.setFont(piece.font, size)
        canvas.drawString(x, y, piece.text)
        x += piece.unit_width * size
    return width


def truncate(text: str, max_width: float, size: float, bold: bool = False) -> str:
    """``text`` cut at a character boundary with an ellipsis so that it fits ``max_width``."""
    text = clean(text).strip()
    if text_width(text, size, bold) <= max_width:
        return text
    low, high = 0, len(text)
    while low < high:   # longest prefix that fits together with the ellipsis
        mid = (low + high + 1) // 2
        if text_width(text[:mid].rstrip() + ELLIPSIS, size, bold) <= max_width:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + ELLIPSIS if low else ""


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


def _break_points(text: str) -> list[tuple[str, str]]:
    """Ways to split ``text`` into two lines: at spaces, after a hyphen inside a word, or between
    two wide (CJK) characters."""
    splits: list[tuple[str, str]] = []
    for i, char in enumerate(text):
        if char == " ":
            head, tail = text[:i].rstrip(), text[i + 1:].lstrip()
            if head and tail:
                splits.append((head, tail))
        elif char == "-" and 0 < i < len(text) - 1 and text[i - 1] != " " and text[i + 1] != " ":
            splits.append((text[:i + 1], text[i + 1:]))
        elif i > 0 and _is_wide(char) and _is_wide(text[i - 1]):
            splits.append((text[:i], text[i:]))
    return splits


def fit_text(text: str, max_width: float, max_height: float, *, max_size: float, min_size: float,
             bold: bool = False, max_lines: int = 2, floor: float = 4.0) -> Fitted:
    """Largest size at which ``text`` fits the box: one line down to ``min_size``, then the most
    balanced split over two lines, then three (up to ``max_lines``), then smaller still down to
    ``floor``, and at ``floor`` an ellipsis. The result never exceeds the box, so a long name
    cannot run off a badge; wrapping comes before shrinking so a long name stays readable."""
    text = " ".join(clean(text).split())
    if not text:
        return Fitted(max_size, ())

    def size_for(lines: tuple[str, ...]) -> float:
        widest = max(unit_width(line, bold) for line in lines) or 1e-9
        return min(max_size, max_width / widest, max_height / (LEADING * len(lines)))

    best = Fitted(size_for((text,)), (text,))
    for count in range(2, max_lines + 1):
        if best.size >= min_size:
            break
        candidates = list(_splits(text, count))
        if not candidates:
            break
        lines = min(candidates, key=lambda ls: max(unit_width(line, bold) for line in ls))
        size = size_for(lines)
        if size > best.size:
            best = Fitted(size, lines)
    if best.size >= floor:
        return best
    # Still too long at the smallest readable size: fill the lines in reading order and end
    # the last one with an ellipsis, rather than cutting every line in the middle.
    count = max(1, min(max_lines, int(max_height // (LEADING * floor))))
    size = min(floor, max_height / (LEADING * count))
    if count == 1:
        return Fitted(size, (truncate(text, max_width, size, bold),))
    return Fitted(size, tuple(wrap_limited(text, max_width, size, count, bold)))


def _splits(text: str, count: int) -> Iterator[tuple[str, ...]]:
    """Every way to cut ``text`` into exactly ``count`` lines at its break points."""
    if count == 1:
        yield (text,)
        return
    for head, tail in _break_points(text):
        for rest in _splits(tail, count - 1):
            yield (head, *rest)


def _wrap_tokens(text: str) -> list[tuple[str, str]]:
    """Words of ``text`` with what joins each to the previous one on a line: a space, or nothing
    where a hyphenated word ("Konstantinopoulou-Vanderbergh") may break after its hyphen."""
    tokens: list[tuple[str, str]] = []
    for word in clean(text).split():
        parts = re.split(r"(?<=[^\s-]-)(?=[^\s-])", word)
        tokens.extend((part, " " if number == 0 else "") for number, part in enumerate(parts))
    return tokens


def wrap(text: str, max_width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap for running text (reasons, competencies): at spaces, then after the
    hyphen of a hyphenated word; wide characters may break anywhere, and a single word longer
    than the line is cut by character."""
    lines: list[str] = []
    current = ""
    for word, joiner in _wrap_tokens(text):
        candidate = f"{current}{joiner}{word}" if current else word
        if text_width(candidate, size, bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        if text_width(word, size, bold) <= max_width:
            current = word
            continue
        for char in word:      # the word alone is too long: break it by character
            if text_width(current + char, size, bold) <= max_width or not current:
                current += char
            else:
                lines.append(current)
                current = char
    if current:
        lines.append(current)
    return lines


def wrap_limited(text: str, max_width: float, size: float, max_lines: int, bold: bool = False) -> list[str]:
    """:func:`wrap`, keeping at most ``max_lines`` and ending the last one with an ellipsis when cut."""
    lines = wrap(text, max_width, size, bold)
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines - 1]
    # The last line shows as much of the rest as fits, then the ellipsis.
    kept.append(truncate(" ".join(lines[max_lines - 1:]) + ELLIPSIS, max_width, size, bold))
    return kept


def wrap_fit(text: str, max_width: float, size: float, max_lines: int, *, min_size: float,
             bold: bool = False) -> Fitted:
    """Every word of ``text`` wrapped to ``max_width``: at ``size`` when that takes at most
    ``max_lines`` lines, else at the largest size down to ``min_size`` that does, else at
    ``min_size`` on as many lines as it takes. Nothing is cut: a name or a company an attendee
    typed prints whole, in smaller letters or on more lines when it is long."""
    text = " ".join(clean(text).split())
    if not text:
        return Fitted(size, ())
    current = size
    while True:
        lines = tuple(wrap(text, max_width, current, bold))
        if len(lines) <= max_lines or current <= min_size:
            return Fitted(current, lines)
        current = max(min_size, round(current - 0.5, 2))


__all__ = ["Fitted", "Piece", "clean", "draw_line", "fit_text", "ink_extent", "layout_line", "text_width",
           "truncate", "wrap", "wrap_fit", "wrap_limited"]
