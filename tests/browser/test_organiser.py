"""The organiser's day before the event, in Chromium: sign in, import attendees (preview, then
commit), generate a schedule while the progress page updates itself, look at the grid, publish."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from scheduler.generator import generate_event
from scheduler.importer import write_attendee_file
from tests.browser.conftest import ORGANISER_EMAIL, PASSWORD, START, TIMEZONE, csp_errors, script_errors
from web.events.models import Event
from web.extensions import db
from web.schedules.models import ScheduleVersion

pytestmark = pytest.mark.browser

SLUG = "import-summit"
ROUNDS = 3
# A realistic file from the seeded generator: big enough that the solver works until the time
# limit (about 2 s) instead of proving optimality at once, so the progress page is seen live.
PEOPLE = generate_event(16, rounds=ROUNDS, seed=4)

# Records the job section each time the page changes it (in sessionStorage, so the records
# survive the reload the page does once the job has finished). ``doc`` tells documents apart.
RECORD_JOB_PAGE = """
(() => {
  const doc = Math.random().toString(36).slice(2);
  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("job");
    if (!box) return;
    const snap = () => {
      const bar = document.getElementById("job-rounds");
      const field = (name) => (box.querySelector('[data-field="' + name + '"]') || {}).textContent;
      const list = JSON.parse(sessionStorage.getItem("job-snapshots") || "[]");
      list.push({doc, finished: box.dataset.finished, status: field("status"), rounds: field("rounds"),
                 elapsed: field("elapsed"), value: bar && bar.value, max: bar && bar.max});
      sessionStorage.setItem("job-snapshots", JSON.stringify(list));
    };
    snap();
    new MutationObserver(snap).observe(box, {subtree: true, childList: true, characterData: true,
                                             attributes: true});
  });
})();
"""


def attendee_csv() -> bytes:
    out = io.BytesIO()
    write_attendee_file(PEOPLE, out, "csv")
    return out.getvalue()


@pytest.fixture(scope="module")
def empty_event(live) -> str:
    with live.context():
        db.session.add(Event(slug=SLUG, name="Import Summit", venue="Hall C", date=START.date(),
                             timezone=TIMEZONE, start=START, rounds=ROUNDS, round_minutes=8,
                             changeover_minutes=2, tables=0))
        db.session.commit()
    return SLUG


def test_organiser_imports_generates_and_publishes(live, empty_event, open_page):
    page = open_page()
    page.context.add_init_script(RECORD_JOB_PAGE)

    # Sign in through the form; an organiser lands in the console.
    page.goto(live.url("/login"))
    page.get_by_label("Email").fill(ORGANISER_EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/"))
    expect(page.get_by_role("link", name="Import Summit").first).to_be_visible()

    # Import: upload, check the preview, commit, see the list.
    page.goto(live.url(f"/console/{SLUG}/attendees/import"))
    page.get_by_label("Attendee file (CSV or XLSX)").set_input_files(
        {"name": "attendees.csv", "mimeType": "text/csv", "buffer": attendee_csv()})
    page.get_by_role("button", name="Check file").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("attendees.csv")
    expect(page.get_by_role("heading", name=f"New attendees ({len(PEOPLE)})")).to_be_visible()
    preview = [" ".join(t.split()) for t in page.locator("ul.columns li").all_inner_texts()]
    assert sorted(preview) == sorted(f"{a.name} ({a.id}, {a.company})" for a in PEOPLE), preview
    page.get_by_role("button", name=f"Import {len(PEOPLE)} attendees").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Attendees")
    expect(page.get_by_text(f"{len(PEOPLE)} attendees.", exact=True)).to_be_visible()
    expect(page.get_by_text("Imported attendees.csv")).to_be_visible()
    names = page.locator("table tbody tr td:nth-child(3)").all_inner_texts()
    assert sorted(n.splitlines()[0] for n in names) == sorted(a.name for a in PEOPLE)

    # Generate with a short time limit and watch the progress page.
    page.goto(live.url(f"/console/{SLUG}/schedule/"))
    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_label("Seed").fill("7")
    page.get_by_role("button", name="Generate schedule").click()
    expect(page).to_have_url(re.compile(rf"/console/{SLUG}/jobs/[0-9a-f-]+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule computation")
    status = page.locator('[data-field="status"]')
    expect(status).to_have_text("done", timeout=20_000)
    expect(page.locator("#job")).to_have_attribute("data-finished", "true")
    expect(page.locator('[data-field="rounds"]')).to_have_text(f"{ROUNDS} of {ROUNDS}")
    bar = page.locator("#job-rounds")
    assert bar.evaluate("b => [b.value, b.max]") == [ROUNDS, ROUNDS]
    expect(page.get_by_text("Finished:")).to_be_visible()

    snapshots = page.evaluate("JSON.parse(sessionStorage.getItem('job-snapshots') || '[]')")
    first = snapshots[0]
    assert first["finished"] == "false" and first["status"] in ("queued", "running"), snapshots
    live_updates = [s for s in snapshots if s["doc"] == first["doc"] and s != first]
    # The script changed the figures in place (same document, before any reload)...
    assert any(s["elapsed"] != first["elapsed"] and s["elapsed"].endswith(" s") for s in live_updates), snapshots
    assert any(s["status"] == "done" and s["value"] == s["max"] == ROUNDS for s in live_updates), snapshots
    # ...and reloaded once, when the job had finished, to show the result links.
    docs = list(dict.fromkeys(s["doc"] for s in snapshots))
    assert len(docs) == 2 and all(s["finished"] == "true" for s in snapshots if s["doc"] == docs[1]), snapshots

    # The grid: tables down, rounds across with their local start times, every attendee placed.
    page.get_by_role("link", name="version 1 (draft)").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Version 1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("(draft)")
    grid = page.locator("table.schedule-grid")
    headers = [" ".join(h.split()) for h in grid.locator("thead th").all_inner_texts()]
    assert headers == ["Table", "Round 1 14:00", "Round 2 14:10", "Round 3 14:20"], headers
    cells = grid.locator("tbody td")
    meetings = sum(1 for text in cells.all_inner_texts() if text.strip())
    assert meetings >= len(PEOPLE) // 2, meetings
    grid_text = grid.inner_text()
    for a in PEOPLE:
        assert a.name in grid_text, a.name
    with live.context():
        version = db.session.query(ScheduleVersion).join(Event).filter(Event.slug == SLUG).one()
        stored_meetings = len(version.meetings)
        people_meeting = {x for m in version.meetings for x in (m.a_id, m.b_id)}
    assert meetings == stored_meetings

    # Publish: the summary of changes, then confirm.
    page.get_by_role("link", name="Review changes and publish").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish version 1?")
    expect(page.get_by_text(re.compile(rf"\b{meetings} meetings\b.*\b{len(people_meeting)} attendees\b"))).to_be_visible()
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 is published.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("(published)")
    expect(page.get_by_role("link", name="Review changes and publish")).to_have_count(0)
    with live.context():
        assert db.session.query(ScheduleVersion).join(Event).filter(
            Event.slug == SLUG).one().status == "published"

    assert not csp_errors(page), csp_errors(page)
    assert not script_errors(page), script_errors(page)
