"""Any name prints with real glyphs, as typed, and inside its box."""

from __future__ import annotations

import pytest
from reportlab.pdfgen.canvas import Canvas

from badges.fonts import covers, missing_chars
from badges.text import draw_line, fit_text, layout_line, text_width, wrap, wrap_fit
from tests.badges.conftest import page_texts, render_page

SCRIPTS = {
    "latin": "Zoë Åström-Ñúñez",
    "greek": "Ελένη Παπαδοπούλου",
    "cyrillic": "Дмитрий Иванов",
    "arabic": "محمد بن سلمان",
    "chinese": "王小明",
    "japanese": "山田 太郎 やまだ カタカナ",
    "korean": "김민준 박서연",
    "mixed": "Ali محمد 王 Ωμέγα",
}


@pytest.mark.parametrize("text", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_every_character_is_covered_by_the_font_that_draws_it(text: str) -> None:
    assert missing_chars(text, bold=True) == set()
    for bold in (False, True):
        for piece in layout_line(text, bold):
            if not hasattr(piece.text, "__shapeData__"):   # shaped runs carry glyph ids, checked below
                assert all(covers(piece.font, char) for char in piece.text), (piece.font, piece.text)


def test_arabic_is_shaped_into_joined_right_to_left_glyphs() -> None:
    (piece,) = layout_line("محمد بن سلمان", True)
    assert "Arabic" in piece.font
    data = piece.text.__shapeData__
    # joined (initial, medial, final) forms; no optional ligatures, so each glyph is one letter
    assert data and len(data) == len("محمد بن سلمان")
    assert sum(1 for c in str(piece.text) if 0xFE70 <= ord(c) <= 0xFEFF) >= 8
    # visual order: the last logical word comes first when drawn left to right
    first_cluster, last_cluster = data[0].cluster, data[-1].cluster
    assert first_cluster > last_cluster


@pytest.mark.parametrize("text", SCRIPTS.values(), ids=SCRIPTS.keys())
def test_each_script_draws_visible_glyphs_and_extracts_as_typed(tmp_path, text: str) -> None:
    path = tmp_path / "line.pdf"
    canvas = Canvas(str(path), pagesize=(400, 60))
    draw_line(canvas, 10, 20, text, 24, bold=True)
    canvas.save()
    pdf = path.read_bytes()
    ink = render_page(pdf, scale=1).point(lambda v: 255 if v < 128 else 0).getbbox()
    assert ink is not None
    width = ink[2] - ink[0]
    assert width > 0.5 * text_width(text, 24, True)     # glyphs, not a sliver of .notdef boxes
    extracted = page_texts(pdf)[0]
    for word in text.split():
        if not any("\u0600" <= c <= "\u06ff" for c in word):
            assert word in extracted


def test_markup_is_not_interpreted(tmp_path) -> None:
    path = tmp_path / "markup.pdf"
    canvas = Canvas(str(path))
    draw_line(canvas, 10, 700, "<b>Smith & Sons</b> &amp; <br/>", 12)
    canvas.save()
    assert "<b>Smith & Sons</b> &amp; <br/>" in page_texts(path.read_bytes())[0]


@pytest.mark.parametrize("name", [
    "Maximiliana Alexandrovna Konstantinopolous-Wetherby von Hohenzollern-Sigmaringen",
    "Bartholomew-Christopherson",
    "王" * 40,
    "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegt",
    "محمد بن عبد الرحمن بن عبد العزيز آل سعود",
])
def test_fitted_names_never_exceed_their_box(name: str) -> None:
    fitted = fit_text(name, 200, 70, max_size=30, min_size=16, bold=True)
    assert 1 <= len(fitted.lines) <= 2
    assert fitted.height() <= 70 + 1e-6
    for line in fitted.lines:
        assert text_width(line, fitted.size, True) <= 200 + 1e-6


def test_short_names_stay_on_one_line_at_full_size() -> None:
    fitted = fit_text("Bob Smith", 200, 70, max_size=30, min_size=16, bold=True)
    assert fitted.lines == ("Bob Smith",) and fitted.size == 30


def test_long_names_wrap_to_two_balanced_lines_before_getting_tiny() -> None:
    name = "Maximiliana Alexandrovna Konstantinopolous"
    fitted = fit_text(name, 200, 80, max_size=30, min_size=20, bold=True)
    assert fitted.lines == ("Maximiliana Alexandrovna", "Konstantinopolous")
    one_line_size = 200 / text_width(name, 1, True)
    assert fitted.size > 1.5 * one_line_size


def test_wrap_keeps_every_word_and_respects_the_width() -> None:
    text = "Contoso offers Security and Data & AI, which you seek; cross-region (EMEA-APAC)"
    lines = wrap(text, 120, 9)
    assert _rejoin(lines) == text
    assert all(text_width(line, 9) <= 120 for line in lines)


def _rejoin(lines: list[str]) -> str:
    """The wrapped lines read as one text again: a line that ends with a hyphen broke a word."""
    text = ""
    for line in lines:
        text += line if not text or text.endswith("-") else " " + line
    return text


def test_a_hyphenated_name_breaks_after_its_hyphen_not_inside_a_word() -> None:
    name = "Maximiliana Konstantinopoulou-Vanderbergh-Schwarzenegger de la Fuente"
    lines = wrap(name, 130, 10, bold=True)
    assert _rejoin(lines) == name
    words = set(name.replace("-", "- ").split())
    assert all(part in words for line in lines for part in line.replace("-", "- ").split())


def test_wrap_fit_prints_every_character_smaller_or_on_more_lines() -> None:
    company = "北京国际云计算与数据中心基础设施服务技术发展有限责任公司上海分公司华东区域销售与合作伙伴管理中心"
    fitted = wrap_fit(company, 150, 9, 2, min_size=7.5)
    assert "".join(fitted.lines) == company and fitted.size >= 7.5
    assert all(text_width(line, fitted.size) <= 150 for line in fitted.lines)
    short = wrap_fit("Contoso", 150, 9, 2, min_size=7.5)
    assert short.lines == ("Contoso",) and short.size == 9


def test_a_very_long_name_wraps_to_three_readable_lines_before_shrinking() -> None:
    name = "Maximiliana Alexandrovna Konstantinopolous-Wetherby von Hohenzollern"
    two_lines = fit_text(name, 150, 90, max_size=30, min_size=16, bold=True, max_lines=2)
    three_lines = fit_text(name, 150, 90, max_size=30, min_size=16, bold=True, max_lines=3)
    assert len(three_lines.lines) == 3
    assert three_lines.size > two_lines.size
    rejoined = three_lines.lines[0]
    for line in three_lines.lines[1:]:          # a line cut after a hyphen continues the word
        rejoined += line if rejoined.endswith("-") else " " + line
    assert rejoined == name
    assert all(text_width(line, three_lines.size, True) <= 150 + 1e-6 for line in three_lines.lines)
