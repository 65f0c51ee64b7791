"""The kiosk for staff who use a screen reader: every scan's answer reaches a live region
(a polite status for a welcome, an alert for a refusal), in Chromium."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import chromium_browser
from tests.web.conftest import PASSWORD, STAFF_EMAIL
from web.auth.services import create_user

pytestmark = pytest.mark.browser


def test_each_scan_result_is_announced(live_server, make_event, make_attendee):
    from playwright.sync_api import expect

    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    stranger = make_attendee(make_event(name="Reseller Day Porto"), name="Someone Else")
    create_user(STAFF_EMAIL, PASSWORD, "staff")
    with chromium_browser() as browser:
        page = browser.new_page()
        page.goto(f"{live_server}/login")
        page.fill("#email", STAFF_EMAIL)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/checkin/**")      # two events: the kiosk list
        page.goto(f"{live_server}/checkin/{event.slug}")
        page.fill("#device", "Desk 2")
        page.click("text=Use this name")
        status, alert = page.locator("#scan-status"), page.locator("#scan-alert")
        assert status.get_attribute("role") == "status" and alert.get_attribute("role") == "alert"

        page.locator("#code").fill(ana.checkin_code)
        page.keyboard.press("Enter")
        expect(status).to_contain_text("Ana Lima")  # the status region: checked in
        expect(alert).to_have_text("")

        page.locator("#code").fill(stranger.checkin_code)
        page.keyboard.press("Enter")
        expect(alert).to_contain_text("Reseller Day Porto")  # the alert region: not checked in
        expect(status).to_have_text("")
        expect(page.locator("#answer")).to_contain_text("This badge is for Reseller Day Porto")

        # the same refusal twice in a row is announced again (the region is emptied first)
        page.locator("#code").fill("Z" * 32)
        page.keyboard.press("Enter")
        expect(alert).to_contain_text("Unknown code")
        page.locator("#code").fill("Y" * 32)
        page.keyboard.press("Enter")
        expect(alert).to_have_text("")
        expect(alert).to_contain_text("Unknown code")

        page.locator("#code").fill(ana.checkin_code)
        page.keyboard.press("Enter")
        expect(status).to_contain_text("Ana Lima")
        expect(status).to_contain_text(re.compile("already", re.I))
