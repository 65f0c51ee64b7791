"""An attendee on a phone: opting in to the directory on their personal page, then marking a
wish with one tap in the directory (server-rendered forms, no script)."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import START, TIMEZONE, csp_errors, script_errors
from web.attendees.models import Attendee
from web.attendees.wishes import WishLevel, wishes_given
from web.events.models import Event
from web.extensions import db

pytestmark = pytest.mark.browser

SLUG = "wish-summit"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
PEOPLE = {  # ext_id: name, company, region, partner type, offers, seeks, listed
    "W1": ("Ann Weber", "Contoso Hosting", "EMEA", "Hosting Provider", ["Hosting"], ["Data Platform"], False),
    "W2": ("Bob Stone", "Fabrikam Data Platform Services International", "NA", "ISV", ["Data Platform"],
           ["Hosting"], True),
    "W3": ("Cleo Park", "Litware Identity", "APAC", "Systems Integrator", ["Identity and Security"],
           ["Storage"], True),
}


@pytest.fixture(scope="module")
def tokens(live) -> dict[str, str]:
    with live.context():
        event = Event(slug=SLUG, name="Wish Summit", venue="Hall W", date=START.date(), timezone=TIMEZONE,
                      start=START, rounds=4, round_minutes=8, changeover_minutes=2, tables=2,
                      wish_must_limit=3, wish_want_limit=5)
        db.session.add(event)
        db.session.commit()
        rows = {}
        for number, (ext_id, (name, company, region, ptype, offers, seeks, listed)) in enumerate(PEOPLE.items(), 1):
            rows[ext_id] = Attendee(
                event_id=event.id, ext_id=ext_id, name=name, company=company, region=region, partner_type=ptype,
                offers=offers, seeks=seeks, badge_number=number, source="import",
                directory_listed_at=dt.datetime(2031, 6, 1, tzinfo=dt.UTC) if listed else None,
                looking_for=f"{name.split()[0]} wants hosting partners" if listed else "")
            db.session.add(rows[ext_id])
        db.session.commit()
        return {ext_id: row.token for ext_id, row in rows.items()}


def test_an_attendee_opts_in_and_marks_a_wish_on_a_phone(live, tokens, open_page, tmp_path):
    page = open_page(**PHONE)
    page.goto(live.url(f"/me/{tokens['W1']}"))
    box = page.get_by_label("List me in the event's directory")
    expect(box).not_to_be_checked()
    box.check()
    page.get_by_label("What I am looking for").fill("Data platform partners in the Nordics")
    page.locator("#directory").get_by_role("button", name="Save").click()
    expect(page.get_by_text("You are in the directory.")).to_be_visible()
    expect(page.get_by_label("List me in the event's directory")).to_be_checked()

    page.get_by_role("link", name="See who is coming and say whom you want to meet").click()
    expect(page.get_by_role("heading", level=1, name="Who is coming")).to_be_visible()
    bob = page.locator("#everyone #p-W2")
    expect(bob).to_contain_text("Bob Stone")
    bob.get_by_role("button", name="Must meet: Bob Stone").tap()

    bob = page.locator("#everyone #p-W2")
    expect(bob).to_contain_text("Your wish: Must meet")
    expect(bob.get_by_role("button", name="Must meet: Bob Stone")).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".allowance[data-level=must]")).to_have_text("Must meet: 2 of 3 left")
    expect(page.locator("#my-wishes")).to_contain_text("Bob Stone")
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide on a {widths[1]} px screen"
    page.screenshot(path=str(tmp_path / "directory-phone.png"), full_page=True)
    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)

    with live.context():
        ann = db.session.query(Attendee).filter_by(ext_id="W1").one()
        bob_row = db.session.query(Attendee).filter_by(ext_id="W2").one()
        assert wishes_given(ann.id) == {bob_row.id: WishLevel.MUST}
        assert ann.directory_listed_at is not None
