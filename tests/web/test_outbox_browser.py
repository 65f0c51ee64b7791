"""The outbox in Chromium: an opened message with a long link and a long unbroken line wraps
inside the page, at a laptop's width and a phone's."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_browser
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD
from web.extensions import db
from web.mail.services import enqueue

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390])
def test_an_opened_message_stays_within_the_page(make_event, organiser_user, live_server, width: int):
    event = make_event(slug=f"outbox-{width}")
    body = "Hello,\n\nYour page: https://networking.example.com/me/" + "x" * 300 + "\n" + "word" * 120
    enqueue(to="someone.with.a.long.address@example.com", subject="Your personal link", body=body,
            kind="registration", dedupe_key=f"long-{width}", event_id=event.id)
    db.session.commit()
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(ORGANISER_EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/console/**")
        page.goto(f"{live_server}/console/{event.slug}/mail/")
        page.get_by_text("Your personal link").click()
        message = page.locator("details[open] pre")
        assert "networking.example.com/me/" in message.inner_text()
        box = message.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.get_by_text("Messages 1–1 of 1").is_visible()
