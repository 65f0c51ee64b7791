"""Self-registration in Chromium: the form, "check your inbox", the confirmation with QR and link,
the personal page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import START, TIMEZONE, csp_errors, script_errors
from web.attendees.models import Attendee
from web.events.models import Event
from web.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def open_event(live) -> str:
    with live.context():
        db.session.add(Event(slug="register-summit", name="Register Summit", venue="Hall B",
                             date=START.date(), timezone=TIMEZONE, start=START, rounds=4,
                             round_minutes=8, changeover_minutes=2, registration_open=True))
        db.session.commit()
    return "register-summit"


def test_attendee_registers_and_reaches_their_personal_page(live, open_event, open_page):
    page = open_page()
    page.goto(live.url(f"/e/{open_event}/register"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Register Summit")

    page.get_by_label("Full name").fill("Priya Raman")
    page.get_by_label("Email").fill("priya.raman@example.com")
    page.get_by_label("Company").fill("Fabrikam Data")
    page.get_by_label("Job title").fill("Partner Manager")
    page.get_by_label("Region").select_option("APAC")
    page.get_by_label("Country").fill("Singapore")
    page.get_by_label("Partner type").select_option("Systems Integrator")
    offers = page.get_by_role("group", name="What your company offers")
    offers.get_by_label("Data Platform", exact=True).check()
    offers.get_by_label("Business Intelligence", exact=True).check()
    page.get_by_role("group", name="What you are looking for").get_by_label("Hosting", exact=True).check()
    page.get_by_label("I can attend every round").uncheck()
    rounds = page.get_by_role("group", name="Otherwise, the rounds I can attend")
    # Round labels carry the local times of the event timetable (14:00 start, 10-minute cycle).
    rounds.get_by_label("Round 1, 14:00–14:08").check()
    rounds.get_by_label("Round 2, 14:10–14:18").check()
    page.get_by_label("I have read the privacy notice").check()
    page.get_by_role("button", name="Register").click()

    # The page says the same for every address: the link comes by mail.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
    with live.context():
        mailed = db.session.query(Attendee).filter_by(email="priya.raman@example.com").one().token
    page.goto(live.url(f"/me/{mailed}/registered"))  # where the mailed link's welcome is

    # Confirmation: greeting, a QR image that actually loaded, and the personal link.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Priya Raman")
    expect(page.get_by_role("heading", level=1)).to_contain_text("registered")
    qr = page.get_by_role("img", name="Your check-in QR code")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0"), "the QR image did not load"
    link = page.locator(".personal-link a")
    href = link.get_attribute("href")
    assert href and re.fullmatch(re.escape(live.base) + r"/me/[A-Za-z0-9_-]{20,}", href), href
    expect(link).to_have_text(href)

    with live.context():
        stored = db.session.query(Attendee).filter_by(email="priya.raman@example.com").one()
        token, rounds_stored = stored.token, stored.available_rounds
    assert href == live.url(f"/me/{token}")

    link.click()
    expect(page).to_have_url(href)
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Raman")
    profile = page.locator("dl.profile")
    facts = dict(zip(profile.locator("dt").all_inner_texts(), profile.locator("dd").all_inner_texts()))
    assert facts == {
        "Company": "Fabrikam Data", "Job title": "Partner Manager", "Region": "APAC (Singapore)",
        "Partner type": "Systems Integrator", "Offers": "Business Intelligence, Data Platform",
        "Looking for": "Hosting", "Rounds": rounds_stored,
    }, facts
    assert rounds_stored == "1-2"
    expect(page.get_by_text("The schedule has not been published yet.")).to_be_visible()
    expect(page.get_by_role("img", name="Your check-in QR code")).to_be_visible()

    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)
