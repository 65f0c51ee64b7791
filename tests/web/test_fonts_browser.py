"""Names in every script draw as letters, not empty boxes, in Chromium on a machine with no
CJK or Hangul font (this one has DejaVu only): the pages name speednet's own fonts after the
system's, and a page with no such character downloads none of them."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.support.browser import chromium_browser
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD
from web.extensions import db
from web.schedules.publishing import publish_version
from web.schedules.versions import store_plan_result

pytestmark = pytest.mark.browser

NAMES = {"A": "王小明", "B": "山田 太郎", "C": "김민준", "D": "محمد بن سلمان"}

# Width of each element's text over its font size: a Han, kana or Hangul glyph is one em wide;
# an empty box (.notdef) is much narrower.
EM_WIDTHS = """(selector) => Array.from(document.querySelectorAll(selector)).map(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    return [el.textContent.trim(), range.getBoundingClientRect().width / parseFloat(getComputedStyle(el).fontSize)];
})"""
FONT_STATUS = """async () => { await document.fonts.ready;
    return Object.fromEntries(Array.from(document.fonts).map(f => [f.family.replace(/"/g, ''), f.status])); }"""


@pytest.fixture
def browser():
    with chromium_browser() as chromium:
        yield chromium


def _wide_glyphs_are_letters(widths: list[list]) -> None:
    for text, ems in widths:
        wide = sum(1 for c in text if "\u3040" <= c <= "\u9fff" or "\uac00" <= c <= "\ud7af")
        if wide:
            assert ems >= 0.9 * wide, (text, ems)     # a box would be about half an em


def _event_with_names(make_event, make_attendee, names: dict[str, str], slug: str):
    event = make_event(rounds=1, slug=slug, timezone="UTC")
    for ext, name in names.items():
        make_attendee(event, ext_id=ext, name=name, company="Contoso")
    ids = sorted(names)
    meetings = tuple(Meeting(1, t + 1, ids[2 * t], ids[2 * t + 1]) for t in range(len(ids) // 2))
    publish_version(store_plan_result(event, PlanResult(Schedule(1, len(meetings), meetings),
                                                        PlanReport("OPTIMAL", ""))))
    event.clock_started_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    return event


def test_the_room_display_draws_cjk_and_hangul_names(make_event, make_attendee, live_server, browser):
    event = _event_with_names(make_event, make_attendee, NAMES, "fonts-room")
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{live_server}/display/{event.slug}/{event.display_key}")
    page.wait_for_selector("#tables li")
    status = page.evaluate(FONT_STATUS)
    assert status.get("Speednet CJK") == "loaded" and status.get("Speednet Hangul") == "loaded", status
    _wide_glyphs_are_letters(page.evaluate(EM_WIDTHS, "#tables li .name"))
    shown = " ".join(page.locator("#tables li").all_inner_texts())
    assert all(name in shown for name in NAMES.values())


def test_console_lists_draw_cjk_names(make_event, make_attendee, organiser_user, live_server, browser):
    event = make_event(slug="fonts-console")
    for ext, name in NAMES.items():
        make_attendee(event, ext_id=ext, name=name)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(ORGANISER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/**")
    page.goto(f"{live_server}/console/{event.slug}/attendees/")
    assert page.evaluate(FONT_STATUS).get("Speednet CJK") == "loaded"
    cells = page.evaluate("""() => Array.from(document.querySelectorAll('tbody tr td:nth-child(3)'))
        .map(td => td.firstChild.textContent.trim())""")
    assert set(NAMES.values()) <= set(cells)
    widths = page.evaluate("""(names) => names.map(name => {
        const td = Array.from(document.querySelectorAll('tbody td')).find(c => c.textContent.includes(name));
        const range = document.createRange(); range.selectNodeContents(td.firstChild);
        return [name, range.getBoundingClientRect().width / parseFloat(getComputedStyle(td).fontSize)];
    })""", [NAMES["A"], NAMES["B"], NAMES["C"]])
    _wide_glyphs_are_letters(widths)


def test_a_latin_page_downloads_no_font(make_event, make_attendee, live_server, browser):
    event = _event_with_names(make_event, make_attendee, {"A": "Ann Lee", "B": "Bob Smith"}, "fonts-latin")
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/display/{event.slug}/{event.display_key}")
    page.wait_for_selector("#tables li")
    page.evaluate("document.fonts.ready.then(() => true)")
    assert any(url.endswith("/static/fonts/fonts.css") for url in requested)
    assert not [url for url in requested if url.endswith(".ttf")], requested


def test_the_fonts_and_their_licences_are_served(client):
    for name in ("DroidSansFallbackFull.ttf", "NanumSquareR.ttf", "NotoSansArabic-Regular.ttf"):
        response = client.get(f"/static/fonts/{name}")
        assert response.status_code == 200 and response.mimetype.startswith("font/"), (name, response.mimetype)
    for licence in ("LICENSE-DroidSansFallback.txt", "LICENSE-Nanum.txt", "LICENSE-Noto.txt"):
        assert client.get(f"/static/fonts/{licence}").status_code == 200
