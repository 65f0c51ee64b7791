"""The kiosk in a real browser (Chromium through Playwright): a scanner types the code and
presses Enter; the answer appears without a page load, the field is cleared and keeps focus."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_browser
from tests.web.conftest import PASSWORD, STAFF_EMAIL
from web.auth.services import create_user

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    with chromium_browser() as browser:
        context = browser.new_context()
        errors: list[str] = []
        page = context.new_page()
        # Script errors and CSP refusals; a 404 answer ("unknown code") is expected, not an error.
        page.on("console", lambda m: errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors  # type: ignore[attr-defined]
        yield page


def test_scanner_field_shows_welcome_then_already(live_server, page, make_event, make_attendee):
    from playwright.sync_api import expect

    event = make_event()
    ana = make_attendee(event, name="Ana <Lima>")
    create_user(STAFF_EMAIL, PASSWORD, "staff")

    page.goto(f"{live_server}/login")
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/checkin/{event.slug}")
    page.fill("#device", "Desk 7")
    page.click("text=Use this name")
    expect(page.locator(".kiosk-name")).to_have_text("Desk 7")

    code_field = page.locator("#code")
    expect(code_field).to_be_focused()
    url_before = page.url
    # A USB scanner "types" the code and presses Enter.
    page.keyboard.type(ana.checkin_code)
    page.keyboard.press("Enter")
    answer = page.locator("#answer")
    expect(answer).to_have_class("answer answer-welcome")
    expect(answer).to_contain_text("Welcome, Ana <Lima>")
    expect(code_field).to_have_value("")
    expect(code_field).to_be_focused()
    expect(page.locator('.kiosk [data-count="checked_in"]')).to_have_text("1")
    assert page.url == url_before  # answered through fetch, no page load

    page.keyboard.type(ana.checkin_code)
    page.keyboard.press("Enter")
    expect(answer).to_have_class("answer answer-already")
    expect(answer).to_contain_text("Ana <Lima> already checked in at")
    expect(answer).to_contain_text("(Desk 7)")

    page.keyboard.type("not-a-badge-code-at-all-123456")
    page.keyboard.press("Enter")
    expect(answer).to_have_class("answer answer-unknown")
    expect(answer).to_contain_text("Unknown code")
    assert page.errors == []
