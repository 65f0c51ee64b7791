"""What a person notices on paper: a long company name on two readable lines, Arabic names
clear of the line below, the event name whole in the badge band, agendas on one sheet, and
lists in family-name order."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io

import numpy as np
import pytest
from pypdf import PdfReader

from badges import BadgeItem, render_agenda, render_agendas, render_badges, render_checkin_list
from badges.names import fold, name_sort_key, sorted_people
from badges.text import ELLIPSIS
from scheduler.domain import Attendee, Break, EventInfo, Meeting, Schedule, Timetable
from tests.badges.conftest import page_count, page_texts, render_page, to_bytes

COMPANY_101 = ("Enterprise Resource Planning Hosting Partners International Consolidated Holdings "
               "of Northern Europe.")
assert len(COMPANY_101) == 101


def runs(pdf: bytes, index: int = 0) -> list[tuple[str, float, float]]:
    """(text, font size in points, baseline y) of every string drawn on a page."""
    found: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, _font, size):  # type: ignore[no-untyped-def]
        if text.strip():
            scale = (tm[2] ** 2 + tm[3] ** 2) ** 0.5 * (cm[2] ** 2 + cm[3] ** 2) ** 0.5
            found.append((text.strip(), round(size * scale, 2), round(tm[5] * cm[3] + cm[5], 2)))

    PdfReader(io.BytesIO(pdf)).pages[index].extract_text(visitor_text=visit)
    return found


def person(name: str = "Bob Smith", company: str = "Contoso", **fields) -> Attendee:
    values = dict(region="EMEA", partner_type="ISV", offers=("Security",))
    values.update(fields)
    return Attendee("P1", name, company, **values)


def company_lines(pdf: bytes, words: set[str]) -> list[tuple[str, float, float]]:
    return [r for r in runs(pdf) if set(r[0].replace(ELLIPSIS, " ").split()) & words]


# --------------------------------------------------------------------------- company name


@pytest.mark.parametrize("length", [30, 60, 80, 101, 140, 220])
def test_a_long_company_wraps_to_two_legible_lines_then_ends_with_an_ellipsis(length: int) -> None:
    company = (COMPANY_101 + " Group Services and Solutions Limited Partnership " * 3)[:length].strip()
    pdf = to_bytes(render_badges, [BadgeItem(person(company=company), "tok")], layout="a6")
    lines = company_lines(pdf, set(company.split()) - {"of"})
    assert 1 <= len(lines) <= 2, lines
    assert min(size for _, size, _ in lines) >= 9.0           # readable at arm's length
    assert len({y for _, _, y in lines}) == len(lines)       # two separate lines, not overprinted
    printed = " ".join(text for text, _, _ in sorted(lines, key=lambda r: -r[2]))
    if printed.endswith(ELLIPSIS):
        assert length > 101 and company.startswith(printed[:-1].rstrip()[:60])
    else:
        assert printed == company


def test_the_101_character_company_prints_whole_on_two_lines() -> None:
    pdf = to_bytes(render_badges, [BadgeItem(person(company=COMPANY_101), "tok")], layout="a6")
    lines = company_lines(pdf, set(COMPANY_101.split()) - {"of"})
    assert len(lines) == 2
    assert " ".join(t for t, _, _ in sorted(lines, key=lambda r: -r[2])) == COMPANY_101
    assert min(s for _, s, _ in lines) >= 9.0


@pytest.mark.parametrize("layout", ["avery-5392", "a4-10"])
def test_smaller_badges_keep_the_company_at_a_readable_size(layout: str) -> None:
    pdf = to_bytes(render_badges, [BadgeItem(person(company=COMPANY_101), "tok")], layout=layout)
    lines = company_lines(pdf, set(COMPANY_101.split()) - {"of"})
    assert 1 <= len(lines) <= 2 and min(s for _, s, _ in lines) >= 7.5


# --------------------------------------------------------------------------- Arabic names


def _dark_rows(mask) -> set[int]:
    return {int(y) for y in np.nonzero(mask.any(axis=1))[0]}


@pytest.mark.parametrize("name, company", [
    ("يحيى بن زيد الجزائري", "Company 4 Ltd"),
    ("محمد بن سلمان", "شركة الاتصالات المتحدة للخدمات"),
    ("بيجي نبيل", "Gulf Cloud Partners"),
    ("Zoë Åström", "Ångström Systems"),
])
@pytest.mark.parametrize("layout", ["a6", "avery-5392"])
def test_the_name_never_touches_the_company_line(name: str, company: str, layout: str) -> None:
    """Rendered with and without the company: the company's ink starts below the name's
    lowest ink (the dots under Arabic letters) with a visible gap."""
    without = person(name=name, company="", region="", partner_type="", offers=())
    with_company = dataclasses.replace(without, company=company)
    scale = 3.0
    a = np.asarray(render_page(to_bytes(render_badges, [BadgeItem(without, "tok")], layout=layout), scale=scale))
    b = np.asarray(render_page(to_bytes(render_badges, [BadgeItem(with_company, "tok")], layout=layout),
                               scale=scale))
    width = a.shape[1] if layout == "a6" else a.shape[1] // 2 - 20
    a, b = a[:, :width], b[:, :width]
    band_bottom = int((16 * 1.4 + 8) * scale)
    name_rows = {y for y in _dark_rows(a < 200) if y > band_bottom}
    company_rows = {y for y in _dark_rows((b < 200) & (a > 250)) if y > band_bottom}   # ink only the company adds
    assert name_rows and company_rows
    company_top = min(company_rows)
    name_bottom = max(y for y in name_rows if y < company_top + 10 * scale)
    assert company_top - name_bottom >= 1.0 * scale, (name_bottom, company_top)


# --------------------------------------------------------------------------- event name


@pytest.mark.parametrize("event_name", [
    "Partner Summit 2026",
    "International Partner Networking Summit — Northern Europe 2026",
    "Annual Conference of Independent Software Vendors and Systems Integrators",
])
@pytest.mark.parametrize("layout", ["a6", "avery-5392"])
def test_the_event_name_prints_whole_in_the_band(event_name: str, layout: str) -> None:
    pdf = to_bytes(render_badges, [BadgeItem(person(), "tok", 12)], layout=layout, event=event_name)
    band = [r for r in runs(pdf) if set(r[0].split()) & set(event_name.split()) and r[0] != "Bob Smith"]
    assert " ".join(t for t, _, _ in sorted(band, key=lambda r: -r[2])) == event_name
    assert len(band) <= 2 and min(s for _, s, _ in band) >= 6.0
    assert "#0012" in page_texts(pdf)[0]


# --------------------------------------------------------------------------- agendas


def _crowded_event(rounds: int) -> tuple[list[Attendee], Schedule, EventInfo]:
    """The longest agenda an attendee can get: a meeting every round, with long names,
    companies and reasons, and a pause every four rounds."""
    people = [Attendee(f"P{i:03d}", f"Maximiliana Konstantinopoulou-Wetherby {i}",
                       f"Enterprise Resource Planning Hosting Partners International {i} GmbH & Co. KG",
                       "EMEA", "Independent software vendor", offers=("Cloud migration",), seeks=("Hosting",))
              for i in range(rounds + 1)]
    reason = ("Contoso Hosting offers Hosting, Security, Data & AI and Identity, which you seek; you offer "
              "Cloud migration and Modern work, which they seek; an ISV with a systems integrator. ") * 2
    meetings = tuple(Meeting(r, 1, people[0].id, people[r].id, reason=reason) for r in range(1, rounds + 1))
    timetable = Timetable(start=dt.datetime(2026, 5, 4, 9, 0), round_minutes=8, changeover_minutes=2,
                          rounds=rounds, breaks=tuple(Break(after_round=k, minutes=15) for k in range(4, rounds, 4)))
    info = EventInfo(name="International Partner Networking Summit Northern Europe 2026", timetable=timetable,
                     venue="Congress Centre Hall B")
    return people, Schedule(rounds, 1, meetings), info


@pytest.mark.parametrize("rounds", range(1, 17))
def test_an_agenda_fits_one_page_up_to_sixteen_rounds(rounds: int) -> None:
    people, schedule, info = _crowded_event(rounds)
    buffer = io.BytesIO()
    assert render_agenda(people[0], people, schedule, info, buffer, qr_payload="tok") == 1
    pdf = buffer.getvalue()
    assert page_count(pdf) == 1
    text = page_texts(pdf)[0]
    for r in range(1, rounds + 1):
        assert info.timetable.round_start(r).strftime("%H:%M") in text
    sizes = [s for t, s, _ in runs(pdf) if t.startswith("Maximiliana") and s < 20]
    assert min(sizes) >= 9.0                                   # partners' names stay readable


def test_a_short_agenda_keeps_its_full_reasons(attendees, schedule, event) -> None:
    pdf = to_bytes(render_agenda, attendees[0], attendees, schedule, event, qr_payload="tok")
    assert ELLIPSIS not in page_texts(pdf)[0]


def test_more_rounds_than_a_page_holds_still_continue(attendees, event) -> None:
    people, schedule, info = _crowded_event(40)
    buffer = io.BytesIO()
    assert render_agenda(people[0], people, schedule, info, buffer) >= 2


# --------------------------------------------------------------------------- name order

NAMES = ["Dan Müller", "Émile Zola", "Ana Müller", "Cleo", "Ben Ávila", "Zoë Ångström", "王小明",
         "Łukasz Żółć", "Oscar de la Peña"]
FAMILY = ["Zoë Ångström", "Ben Ávila", "Cleo", "Ana Müller", "Dan Müller", "Oscar de la Peña", "Émile Zola",
          "Łukasz Żółć", "王小明"]


def test_fold_and_family_keys() -> None:
    assert fold("  François  MÜLLER ") == "francois muller"
    assert fold("Søren Ærø Łódź Straße") == "soren aero lodz strasse"
    assert name_sort_key("Ana Müller") == ("muller", "ana")
    assert name_sort_key("Cleo") == ("cleo", "")
    assert name_sort_key("Ana Müller", "first") == ("ana muller",)
    with pytest.raises(ValueError):
        name_sort_key("Ana", "last")


@pytest.mark.parametrize("shuffle", [0, 3, 5])
def test_people_sort_by_family_name_whatever_order_they_come_in(shuffle: int) -> None:
    people = [Attendee(f"P{i}", n, "C", "EMEA", "ISV") for i, n in enumerate(NAMES[shuffle:] + NAMES[:shuffle])]
    assert [p.name for p in sorted_people(people)] == FAMILY
    assert [p.name for p in sorted_people(people, "first")] == sorted(NAMES, key=fold)


def _order_in(text: str, names: list[str]) -> list[str]:
    return sorted(names, key=text.index)


@pytest.mark.parametrize("order, expected", [("family", FAMILY), ("first", sorted(NAMES, key=fold))])
def test_checkin_list_and_agendas_print_in_the_chosen_order(order: str, expected: list[str]) -> None:
    people = [Attendee(f"P{i}", n, "C", "EMEA", "ISV") for i, n in enumerate(NAMES)]
    latin = [n for n in expected if n != "王小明"]
    text = page_texts(to_bytes(render_checkin_list, people, name_order=order))[0]
    assert _order_in(text, latin) == latin
    meetings = (Meeting(1, 1, "P0", "P1"),)
    timetable = Timetable(start=dt.datetime(2026, 5, 4, 9, 0), round_minutes=8, changeover_minutes=2, rounds=1)
    pdf = to_bytes(render_agendas, people, Schedule(1, 1, meetings), EventInfo("Summit", timetable),
                   name_order=order)
    owners = [next(n for n in NAMES if n in page.splitlines()[2]) for page in page_texts(pdf)]
    assert owners == expected


# --------------------------------------------------------------------------- long text, whole

LONG_PEOPLE = {
    "latin": ("Maximiliana Alexandra Konstantinopoulou-Vanderbergh-Schwarzenegger de la Fuente y Montenegro",
              "International Consolidated Business Machines and Cloud Infrastructure Services Worldwide "
              "Holdings GmbH & Co. KGaA"),
    "cjk": ("欧阳司马诸葛长孙上官婉儿东方不败令狐冲慕容复独孤求败西门吹雪",
            "北京国际云计算与数据中心基础设施服务技术发展有限责任公司上海分公司华东区域销售与合作伙伴管理中心"),
    "arabic": ("عبد الرحمن بن محمد بن عبد العزيز بن عبد الله آل سعود الفيصل القحطاني الشمري",
               "شركة الخليج العربي المتحدة لخدمات الحوسبة السحابية ومراكز البيانات والبنية التحتية الرقمية المحدودة"),
}
LONG_EVENT = ("The Annual International Partner Ecosystem Speed Networking Summit for Cloud, Data, Security and "
              "AI 2026 \u2014 Europe, Middle East and Africa Edition")
LONG_VENUE = "Messe Frankfurt Congress Center, Hall 4.2, Ludwig-Erhard-Anlage 1, 60327 Frankfurt am Main"


def _long_agenda(script: str) -> tuple[bytes, Attendee, list[Attendee]]:
    people = [Attendee(f"{key}1", name, company, "EMEA", "Reseller") for key, (name, company) in LONG_PEOPLE.items()]
    people.append(Attendee("short", "Bob Smith", "Contoso", "APAC", "ISV"))
    viewer = next(p for p in people if p.id == f"{script}1")
    others = [p for p in people if p is not viewer]
    meetings = tuple(Meeting(r, 1, viewer.id, others[(r - 1) % len(others)].id, reason="You both host")
                     for r in range(1, 7))
    timetable = Timetable(start=dt.datetime(2026, 5, 4, 14, 0), round_minutes=8, changeover_minutes=2, rounds=6)
    info = EventInfo(name=LONG_EVENT, timetable=timetable, venue=LONG_VENUE)
    buffer = io.BytesIO()
    assert render_agenda(viewer, people, Schedule(6, 1, meetings), info, buffer, qr_payload="tok") == 1
    return buffer.getvalue(), viewer, others


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("script", sorted(LONG_PEOPLE))
def test_long_names_companies_and_the_event_header_print_whole_on_the_page(script: str) -> None:
    import pypdfium2 as pdfium

    pdf, viewer, others = _long_agenda(script)
    extracted = page_texts(pdf)[0].replace("\ufffe", "-")  # PDFium's mark for a hyphen ending a line
    text = _squeezed(extracted)
    assert ELLIPSIS not in text
    for whole in (LONG_EVENT, LONG_VENUE, viewer.name, viewer.company, *(p.name for p in others),
                  *(p.company for p in others)):
        if any("\u0600" <= c <= "\u06ff" for c in whole):
            # a reader orders a line that mixes the round's figures with Arabic by bidi rules:
            # every word is there, and the owner's own (unmixed) lines read whole
            assert all(word in extracted for word in whole.split()), whole
        else:
            assert _squeezed(whole) in text, whole
    assert _squeezed(viewer.name) in text and _squeezed(viewer.company) in text
    page = pdfium.PdfDocument(pdf)[0]
    width, height = page.get_size()
    textpage = page.get_textpage()
    boxes = [textpage.get_charbox(i) for i in range(textpage.count_chars())]
    assert boxes and all(left >= 0 and right <= width and bottom >= 0 and top <= height
                         for left, bottom, right, top in boxes if right > left)
    sizes = [s for t, s, _ in runs(pdf) if t and t.split()[0] in viewer.name.split()[0]]
    assert sizes and max(sizes) >= 14                              # the owner's name stays large on top


def test_arabic_copies_out_as_the_letters_typed_not_presentation_forms() -> None:
    import pypdfium2 as pdfium

    name = "عبد الله بن سلام"
    company = "شركة الخليج العربي المتحدة"
    viewer, partner = Attendee("A", name, company, "EMEA", "ISV"), Attendee("B", "Bob Smith", "Contoso", "APAC", "ISV")
    timetable = Timetable(start=dt.datetime(2026, 5, 4, 14, 0), round_minutes=8, changeover_minutes=2, rounds=1)
    buffer = io.BytesIO()
    render_agenda(viewer, [viewer, partner], Schedule(1, 1, (Meeting(1, 1, "A", "B"),)),
                  EventInfo(name="Summit", timetable=timetable), buffer)
    pdf = buffer.getvalue()
    copied = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()  # what Chrome's viewer copies
    assert name in copied and company in copied
    assert not any(0xFB50 <= ord(c) <= 0xFDFF or 0xFE70 <= ord(c) <= 0xFEFF for c in copied)
    # The fonts' ToUnicode maps themselves name letters, whatever program reads them.
    maps = [font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for font in PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()
            if "/ToUnicode" in font.get_object()]
    targets = [int(hex_code[i:i + 4], 16) for cmap in maps for line in cmap.splitlines()
               if line.startswith("<") and " <" in line for hex_code in [line.split(" <")[1].rstrip(">")]
               for i in range(0, len(hex_code), 4)]
    assert 0x0644 in targets and not [t for t in targets if 0xFB50 <= t <= 0xFDFF or 0xFE70 <= t <= 0xFEFF]
