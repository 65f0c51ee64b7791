"""The room display in Chromium: shows the round and its tables, and follows the clock."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.domain import Meeting, Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.support.browser import chromium_browser
from web.events.models import Event
from web.extensions import db
from web.schedules.publishing import publish_version
from web.schedules.versions import store_plan_result

pytestmark = pytest.mark.browser


@pytest.fixture
def page():
    with chromium_browser() as browser:
        yield browser.new_page(viewport={"width": 1280, "height": 720})


def test_display_shows_the_round_and_advances_with_the_clock(make_event, make_attendee, live_server, page):
    event = make_event(rounds=2, slug="live-room", table_labels="Oak\nPine", timezone="UTC")
    for ext, name in [("A", "Ann"), ("B", "Bob"), ("C", "Cleo"), ("D", "Dan")]:
        make_attendee(event, ext_id=ext, name=name, company=f"{name} Ltd")
    meetings = (Meeting(1, 1, "A", "B"), Meeting(1, 2, "C", "D"), Meeting(2, 1, "A", "C"), Meeting(2, 2, "B", "D"))
    publish_version(store_plan_result(event, PlanResult(Schedule(2, 2, meetings), PlanReport("OPTIMAL", ""))))
    now = dt.datetime.now(dt.UTC)
    event.clock_started_at = now - dt.timedelta(minutes=1)
    db.session.commit()

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None)
    page.goto(f"{live_server}/display/{event.slug}/{event.display_key}")
    page.wait_for_selector("#round-label:has-text('Round 1 of 2')")
    rows = page.locator("#tables li").all_inner_texts()
    assert [" ".join(r.split()) for r in rows] == [
        "Ann Ann Ltd Table Oak", "Bob Bob Ltd Table Oak", "Cleo Cleo Ltd Table Pine", "Dan Dan Ltd Table Pine"]
    first = page.inner_text("#countdown")
    page.wait_for_timeout(2100)  # counts down locally between polls
    later = page.inner_text("#countdown")
    assert first != later and later[:2] in ("6:", "7:"), (first, later)

    # Ten minutes later by the event clock: the next poll shows round 2 and its tables.
    ev = db.session.get(Event, event.id)
    ev.clock_started_at = now - dt.timedelta(minutes=11)
    db.session.commit()
    page.wait_for_selector("#round-label:has-text('Round 2 of 2')", timeout=12000)
    rows = [" ".join(r.split()) for r in page.locator("#tables li").all_inner_texts()]
    assert rows == ["Ann Ann Ltd Table Oak", "Bob Bob Ltd Table Pine", "Cleo Cleo Ltd Table Oak",
                    "Dan Dan Ltd Table Pine"]
    assert page.inner_text("#finder-heading") == "Find your table · round 2"
    assert not errors, errors  # no CSP violations or script errors


def test_a_full_room_fits_the_projector_without_scrolling(make_event, make_attendee, live_server, page):
    """Long names and companies in several columns must not push the page wider than the screen."""
    event = make_event(rounds=1, slug="full-room", timezone="UTC")
    people = [make_attendee(event, ext_id=f"P{i:02d}", name=f"Maximiliana Konstantinopoulou-Wetherby {i}",
                            company=f"Enterprise Resource Planning Hosting Partners International {i} GmbH")
              for i in range(24)]
    meetings = tuple(Meeting(1, t + 1, people[2 * t].ext_id, people[2 * t + 1].ext_id) for t in range(12))
    publish_version(store_plan_result(event, PlanResult(Schedule(1, 12, meetings), PlanReport("OPTIMAL", ""))))
    event.clock_started_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    page.goto(f"{live_server}/display/{event.slug}/{event.display_key}")
    page.wait_for_selector("#tables li")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.evaluate("window.innerWidth")
    assert page.locator(".table-list .table").first.is_visible()


def test_names_read_from_the_back_of_the_room_at_1920x1080(make_event, make_attendee, live_server):
    """At full HD every name is at least 48 px tall, the list runs in several columns, each
    screen holds only rows that fit, the screens together list everybody once (the one on a
    break too), and the bell is off until someone clicks to enable it."""
    event = make_event(rounds=2, slug="projector", timezone="UTC")
    people = [make_attendee(event, ext_id=f"P{i:03d}", name=f"Person{i:03d} Family{i:03d}", company=f"Company {i}")
              for i in range(71)]
    meetings = tuple(Meeting(1, t + 1, people[2 * t].ext_id, people[2 * t + 1].ext_id) for t in range(35))
    meetings += (Meeting(2, 1, "P070", "P000"),)   # P070 sits round 1 out
    publish_version(store_plan_result(event, PlanResult(Schedule(2, 35, meetings), PlanReport("OPTIMAL", ""))))
    event.clock_started_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db.session.commit()
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{live_server}/display/{event.slug}/{event.display_key}?bell=1&page_seconds=4")
        page.wait_for_selector("#page-info:has-text('Page 1 of')")
        geometry = page.evaluate("""() => {
            const list = document.getElementById('tables').getBoundingClientRect();
            return Array.from(document.querySelectorAll('#tables li')).map(li => {
                const r = li.getBoundingClientRect();
                const name = li.querySelector('.name');
                return {size: parseFloat(getComputedStyle(name).fontSize), left: r.left, right: r.right,
                        bottom: r.bottom, inside: r.right <= list.right + 1 && r.bottom <= list.bottom + 1,
                        clipped: name.scrollWidth > name.clientWidth + 1};
            });
        }""")
        assert min(row["size"] for row in geometry) >= 48
        assert len({round(row["left"]) for row in geometry}) >= 3          # three columns
        assert all(row["inside"] for row in geometry) and not any(row["clipped"] for row in geometry)
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920
        pages = int(page.get_attribute("body", "data-pages"))
        assert 2 <= pages <= 4
        seen: list[str] = []
        for number in range(1, pages + 1):
            page.wait_for_selector(f"#page-info:has-text('Page {number} of {pages}')", timeout=10000)
            seen += [" ".join(t.split()) for t in page.locator("#tables li").all_inner_texts()]
        assert len(seen) == 71 and len(set(seen)) == 71
        assert any(t.startswith("Person070 Family070") and t.endswith("break this round") for t in seen)

        sound = page.locator("#sound")
        assert sound.inner_text() == "Click to enable sound"
        sound.click()
        page.wait_for_selector("#sound:has-text('Sound on')")
        assert page.get_attribute("body", "data-sound") == "on"
        assert not errors, errors


def test_the_bell_rings_at_the_end_of_a_round_once_sound_is_enabled(make_event, make_attendee, live_server):
    event = make_event(rounds=2, slug="bell-room", timezone="UTC", round_minutes=8)
    for ext in ("A", "B"):
        make_attendee(event, ext_id=ext, name=f"Person {ext}")
    publish_version(store_plan_result(event, PlanResult(Schedule(2, 1, (Meeting(1, 1, "A", "B"),)),
                                                        PlanReport("OPTIMAL", ""))))
    # round 1 ends four seconds from now
    event.clock_started_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=8, seconds=-4)
    db.session.commit()
    with chromium_browser() as browser:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{live_server}/display/{event.slug}/{event.display_key}")
        page.wait_for_selector("#round-label:has-text('Round 1 of 2')")
        assert page.locator("#sound").count() == 0             # no bell unless asked for
        page.goto(f"{live_server}/display/{event.slug}/{event.display_key}?bell=1")
        page.wait_for_selector("#round-label:has-text('Round 1 of 2')")
        page.click("#sound")                                   # the click browsers require
        page.wait_for_selector("body[data-rang='1']")          # a soft test strike
        page.wait_for_selector("body[data-rang='2']", timeout=10000)   # the round's end
        page.wait_for_selector("#heading:has-text('Change tables')", timeout=10000)
