"""Badges: sheets per layout, scannable QR codes that carry only the token, readable names."""

from __future__ import annotations

import io

import pytest

from badges import LAYOUTS, BadgeItem, BadgeLayout, render_badges
from badges.layouts import get_layout
from scheduler.domain import Attendee
from tests.badges.conftest import decode_qr_texts, page_count, page_texts, render_page, to_bytes
from tests.support.text import missing_facts


def _items(attendees: list[Attendee]) -> list[BadgeItem]:
    return [BadgeItem(a, f"tok-{a.id.lower()}-9f2c81d0", number=i) for i, a in enumerate(attendees, 1)]


@pytest.mark.parametrize(("layout", "count", "pages"), [
    ("avery-5392", 13, 3), ("avery-5392", 6, 1), ("a4-10", 13, 2), ("a4-10", 10, 1), ("a6", 3, 3),
])
def test_page_count_follows_the_layout(attendees, layout: str, count: int, pages: int) -> None:
    people = (attendees * 2)[:count]
    pdf = to_bytes(render_badges, _items(people), layout=layout)
    assert page_count(pdf) == pages


def test_layouts_are_the_stock_sizes() -> None:
    avery = LAYOUTS["avery-5392"]
    assert (avery.columns, avery.rows, avery.badge_width, avery.badge_height) == (2, 3, 288, 216)
    assert avery.page_size == (612, 792)
    assert (avery.margin_left, avery.margin_top) == (18, 72)
    a4 = LAYOUTS["a4-10"]
    assert a4.per_page == 10 and round(a4.badge_width / 72 * 25.4) == 90 and round(a4.badge_height / 72 * 25.4) == 54


def test_every_qr_code_resolves_to_its_attendee(attendees) -> None:
    items = _items(attendees)
    pdf = to_bytes(render_badges, items, layout="avery-5392")
    payload_to_id = {item.qr_payload: item.attendee.id for item in items}
    decoded: list[str] = []
    for page in range(page_count(pdf)):
        decoded += decode_qr_texts(render_page(pdf, page, scale=2))
    assert sorted(payload_to_id[text] for text in decoded) == sorted(a.id for a in attendees)


def test_qr_code_carries_nothing_personal(attendees) -> None:
    person = attendees[0]
    pdf = to_bytes(render_badges, [BadgeItem(person, "opaque-token-123")], layout="a6")
    (text,) = decode_qr_texts(render_page(pdf))
    assert text == "opaque-token-123"
    assert person.name not in text and person.id not in text


def test_names_companies_and_numbers_are_printed_as_typed(attendees) -> None:
    pdf = to_bytes(render_badges, _items(attendees), layout="a4-10", event="Partner Summit 2026")
    text = "\n".join(page_texts(pdf))
    for person in attendees:
        for word in person.name.split():
            if not any("\u0600" <= c <= "\u06ff" for c in word):
                assert word in text
    assert "<b>Smith & Sons</b>" in text
    assert "#0001" in text and "#0010" in text
    assert "Partner Summit 2026" in text
    assert not missing_facts(text, "Cloud migration", "Security", "Data & AI")
    assert "Identity" not in text      # only the top three competencies


def test_a_very_long_name_stays_inside_the_badge() -> None:
    long = Attendee("X1", "Maximiliana Alexandrovna Konstantinopolous-Wetherby von Hohenzollern-Sigmaringen "
                    "und Liechtenstein", "Company", "EMEA", "ISV")
    layout = get_layout("a4-10")
    pdf = to_bytes(render_badges, [BadgeItem(long, "tok")], layout=layout)
    image = render_page(pdf, scale=2)
    x0, y_top = layout.margin_left * 2, layout.margin_top * 2
    width, height = layout.badge_width * 2, layout.badge_height * 2
    # nothing is drawn right of the first badge (the second column is empty) or below it
    outside = image.crop((int(x0 + width) + 2, int(y_top), image.width, int(y_top + height)))
    below = image.crop((0, int(y_top + height) + 2, image.width, image.height))
    assert outside.getextrema()[0] > 200 and below.getextrema()[0] > 200


def test_crop_marks_are_drawn_in_the_margins_only_when_asked(attendees) -> None:
    plain = render_page(to_bytes(render_badges, _items(attendees[:1]), layout="avery-5392"), scale=1)
    marked = render_page(to_bytes(render_badges, _items(attendees[:1]), layout="avery-5392", crop_marks=True),
                         scale=1)
    top_margin = (0, 0, 612, 60)        # above the first row (1 in = 72 pt)
    assert plain.crop(top_margin).getextrema()[0] == 255
    assert marked.crop(top_margin).getextrema()[0] < 128


def test_writes_to_a_path_and_to_a_file_object(tmp_path, attendees) -> None:
    path = tmp_path / "badges.pdf"
    assert render_badges(_items(attendees), path, layout="avery-5392") == 2
    buffer = io.BytesIO()
    render_badges(_items(attendees), buffer, layout="avery-5392")
    assert path.read_bytes() == buffer.getvalue()        # same input, same bytes


def test_custom_layouts_are_data_and_must_fit_the_page() -> None:
    layout = BadgeLayout("tiny", "test", (300, 300), 100, 100, columns=3, rows=3)
    assert layout.per_page == 9
    with pytest.raises(ValueError, match="do not fit"):
        BadgeLayout("too-big", "test", (300, 300), 100, 100, columns=4, rows=1)
    with pytest.raises(ValueError, match="a6, avery-5392, a4-10"):
        get_layout("letter-99")
