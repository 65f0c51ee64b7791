"""The walk-in form on a desk tablet (Chromium through Playwright): competencies ticked from the
event's list, one typed under "Other" and flagged after saving, chosen rounds, and the
correction made by the same staff account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.browser import chromium_browser
from tests.web.conftest import PASSWORD, STAFF_EMAIL
from web.attendees.models import Attendee
from web.auth.services import create_user
from web.extensions import db

pytestmark = pytest.mark.browser

TABLET = {"viewport": {"width": 820, "height": 1180}, "device_scale_factor": 2, "has_touch": True}


@pytest.fixture
def page():
    with chromium_browser() as browser:
        context = browser.new_context(**TABLET)
        context.set_default_timeout(10_000)
        errors: list[str] = []
        page = context.new_page()
        # Script errors and CSP refusals (the browser's own favicon request may 404).
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and not m.location.get("url", "").endswith("/favicon.ico") else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.errors = errors  # type: ignore[attr-defined]
        yield page


def test_a_walk_in_is_registered_from_the_lists_and_corrected_at_the_desk(live_server, page, make_event):
    from playwright.sync_api import expect

    event = make_event()
    create_user(STAFF_EMAIL, PASSWORD, "staff")
    page.goto(f"{live_server}/login")
    page.fill("#email", STAFF_EMAIL)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/checkin/{event.slug}")
    page.fill("#device", "Desk 7")
    page.click("text=Use this name")
    page.get_by_role("link", name="Register a walk-in").click()

    page.get_by_label("Name", exact=True).fill("Walker Kim")
    page.get_by_label("Company", exact=True).fill("Late Co")
    page.get_by_label("Region").select_option("EMEA")
    page.get_by_label("Partner type").select_option("ISV")
    offers = page.get_by_role("group", name="Offers")
    offers.get_by_label("Hosting", exact=True).tap()          # the label is the touch target
    offers.get_by_label("Other offers (not in the list)").fill("hostng")
    page.get_by_role("group", name="Seeks").get_by_label("DevOps", exact=True).tap()
    rounds = page.get_by_role("group", name="Rounds they can attend")
    expect(rounds.get_by_label("All rounds from now (rounds 1–8)")).to_be_checked()
    rounds.get_by_label("Only the rounds ticked below").tap()
    rounds.get_by_label("Round 2, 14:10").tap()
    rounds.get_by_label("Round 3, 14:20").tap()
    page.get_by_role("button", name="Register and check in").click()

    answer = page.locator("#answer")
    expect(answer).to_contain_text("Welcome, Walker Kim")
    expect(answer.locator(".unlisted")).to_contain_text("hostng")
    expect(answer.get_by_role("link", name="Print badge")).to_be_visible()
    row = db.session.scalar(select(Attendee).where(Attendee.name == "Walker Kim"))
    assert row.offers == ["Hosting", "hostng"] and row.available_rounds == "2-3"

    answer.get_by_role("link", name="Correct details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Correct Walker Kim")
    offers = page.get_by_role("group", name="Offers")
    expect(offers.get_by_label("Hosting", exact=True)).to_be_checked()
    offers.get_by_label("Other offers (not in the list)").fill("")
    offers.get_by_label("Storage", exact=True).tap()
    page.get_by_role("button", name="Save corrections").click()
    expect(page.locator(".flash-success")).to_contain_text("Walker Kim")
    expect(page.locator(".unlisted")).to_have_count(0)
    db.session.expire_all()
    assert db.session.get(Attendee, row.id).offers == ["Hosting", "Storage"]
    assert page.errors == []  # type: ignore[attr-defined]
