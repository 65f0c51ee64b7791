"""XSS payloads in names and companies stay inert in a real browser (Debian's Chromium through
Playwright): no dialog opens, no injected element exists, and the text shows literally on the
attendee list, the personal page and the display page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.conftest import MARKUP, XSS_IMG, XSS_SCRIPT, routes, url_for_rule
from tests.support.browser import chromium_browser, serve_in_thread
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(world) -> Iterator[str]:
    with serve_in_thread(world.app) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on("console", lambda msg: "Content Security Policy" in msg.text and page.csp_errors.append(msg.text))
    yield page
    context.close()


def _assert_inert(page, *, expect_text=(XSS_SCRIPT,)) -> None:
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # give an injected handler (img onerror) the chance to fire
    assert page.dialogs == [], f"a payload ran: {page.dialogs}"
    assert page.evaluate("() => window.__xss === undefined")
    assert page.locator("img[src='x']").count() == 0, "the <img> payload became an element"
    assert page.locator("main script, main b").count() == 0, "markup from user text became elements"
    body = page.inner_text("body")
    for text in expect_text:
        assert text in body, f"{text!r} not shown literally"


def test_attendee_list_in_a_browser(live, page):
    page.goto(f"{live}/login")
    page.fill("input[name=email]", ORGANISER_EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/console/**")
    page.goto(f"{live}/console/summit/attendees/")
    _assert_inert(page, expect_text=(XSS_SCRIPT, XSS_IMG, MARKUP))


def test_personal_page_in_a_browser(live, page, world):
    rule = next((r for r in routes(world.app) if r.rule == "/me/<token>"), None)
    assert rule is not None, "the personal page /me/<token> is missing"
    page.goto(live + url_for_rule(rule, world))
    _assert_inert(page)


def test_display_page_in_a_browser(live, page, world):
    rules = [r for r in routes(world.app) if r.rule.startswith("/display/") and not r.rule.endswith(".json")]
    assert rules, "the display page /display/<slug> is missing"
    for rule in rules:
        page.goto(live + url_for_rule(rule, world))
        page.wait_for_timeout(800)  # the display fills itself from state.json
        _assert_inert(page, expect_text=())
        assert page.csp_errors == [], page.csp_errors
