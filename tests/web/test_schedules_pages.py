"""Schedule pages through the test client, CSRF included."""

from __future__ import annotations

import csv
import io
import re
import threading

import pytest
from openpyxl import load_workbook

from scheduler.checker import check_schedule
from scheduler.domain import Schedule
from scheduler.solver import PlanReport, PlanResult
from tests.support.jobs import start_test_job
from tests.support.text import field_errors
from tests.web.conftest import csrf_token, submit
from web.extensions import db
from web.jobs import Job, JobContext, wait_for_job
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version
from web.schedules.versions import store_plan_result, version_schedule

COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security"]


@pytest.fixture
def event(make_event, make_attendee):
    ev = make_event(rounds=3, table_labels="Blue\nGreen\nRed\nWhite")
    for i in range(8):
        make_attendee(ev, ext_id=f"A{i:02d}", name=f"Person {i:02d}", company=f"Firm {i}",
                      region=["EMEA", "APAC", "AMER"][i % 3],
                      offers=[COMPETENCIES[i % 4]], seeks=[COMPETENCIES[(i + 1) % 4]])
    return ev


def _job_id(response) -> str:
    found = re.search(r"/jobs/([0-9a-f-]{36})$", response.headers["Location"])
    assert found, response.headers.get("Location")
    return found.group(1)


def test_generate_runs_a_job_and_stores_a_checked_draft(organiser, event):
    url = f"/console/{event.slug}/schedule/generate"
    response = submit(organiser, url, {"time_limit": "1", "seed": "2"},
                      form_url=f"/console/{event.slug}/schedule/")
    assert response.status_code == 302
    job_id = _job_id(response)
    page = organiser.get(f"/console/{event.slug}/jobs/{job_id}").get_data(as_text=True)
    assert "job-progress.js" in page and "Refresh" in page or "version 1" in page
    done = wait_for_job(job_id, 30)
    assert done.status == "done", done.error
    status = organiser.get(f"/console/{event.slug}/jobs/{job_id}.json").get_json()
    assert status["status"] == "done" and status["finished"] is True
    assert status["version_number"] == 1 and status["result_version_id"] == done.result["version_id"]
    assert set(status["progress"]) >= {"phase", "rounds_placed", "rounds_total", "score", "bound",
                                       "percent_of_bound", "elapsed"}
    assert status["progress"]["rounds_placed"] == 3
    version = db.session.get(ScheduleVersion, done.result["version_id"])
    assert version.status == "draft"
    schedule, attendees = version_schedule(version)
    assert check_schedule(schedule, attendees) == []
    finished = organiser.get(f"/console/{event.slug}/jobs/{job_id}").get_data(as_text=True)
    assert "version 1 (draft)" in finished and "Cancel" not in finished


def test_invalid_generate_form_shows_errors(organiser, event):
    response = submit(organiser, f"/console/{event.slug}/schedule/generate",
                      {"time_limit": "0", "seed": "-1"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "time_limit") and field_errors(response.get_data(as_text=True), "seed")
    assert db.session.query(Job).count() == 0


def test_cancel_keeps_the_best_schedule(organiser, event, monkeypatch):
    import web.schedules.revisions as planning

    started = threading.Event()
    real_plan = planning.plan

    def slow_plan(request, progress=None, cancel=None):
        started.set()
        assert cancel.wait(10), "cancel never arrived"
        return real_plan(request, progress, cancel)   # solver sees the cancel and stops early

    monkeypatch.setattr(planning, "plan", slow_plan)
    response = submit(organiser, f"/console/{event.slug}/schedule/generate",
                      {"time_limit": "5", "seed": "0"})
    job_id = _job_id(response)
    assert started.wait(10)
    page_url = f"/console/{event.slug}/jobs/{job_id}"
    response = submit(organiser, f"{page_url}/cancel", {}, form_url=page_url)
    assert response.status_code == 302
    done = wait_for_job(job_id, 30)
    assert done.status == "cancelled" and done.result["version_id"] is not None
    version = db.session.get(ScheduleVersion, done.result["version_id"])
    schedule, attendees = version_schedule(version)
    assert check_schedule(schedule, attendees) == []
    assert version.report["status"] == "CANCELLED"
    assert "best schedule found was kept" in organiser.get(page_url).get_data(as_text=True)


def test_app_answers_while_a_job_runs(organiser, event):
    release = threading.Event()
    running = threading.Event()

    def work(context: JobContext):
        running.set()
        context.report({"phase": "placing", "rounds_placed": 1, "rounds_total": 3}, force=True)
        release.wait(10)
        return None

    job = start_test_job(event, work)
    try:
        assert running.wait(5)
        assert organiser.get(f"/console/{event.slug}/schedule/").status_code == 200
        status = organiser.get(f"/console/{event.slug}/jobs/{job.id}.json").get_json()
        # Answered while the job still waits for release: a page that waited for it would
        # only come back once the job was done.
        assert status["status"] == "running" and status["progress"]["rounds_placed"] == 1
        # A second start while one runs goes to the running job instead of starting another.
        response = submit(organiser, f"/console/{event.slug}/schedule/generate",
                          {"time_limit": "1", "seed": "0"})
        assert response.headers["Location"].endswith(f"/jobs/{job.id}")
    finally:
        release.set()
        wait_for_job(job.id, 5)


def test_publish_shows_changes_then_supersedes(organiser, event):
    first = plan_event(event, time_limit=1)
    publish_version(first)
    schedule, _ = version_schedule(first)
    dropped = schedule.meetings[0]
    second = store_plan_result(event, PlanResult(
        Schedule(schedule.rounds, schedule.tables, schedule.meetings[1:]), PlanReport("FEASIBLE", "")))
    url = f"/console/{event.slug}/schedule/v{second.number}/publish"
    page = organiser.get(url).get_data(as_text=True)
    assert "1 meeting added" not in page and "1 removed" in page
    name_a = f"Person {dropped.a_id[1:]}"
    name_b = f"Person {dropped.b_id[1:]}"
    assert name_a in page and f"no longer meets {name_b}" in page
    response = submit(organiser, url, {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, first.id).status == "superseded"
    assert db.session.get(ScheduleVersion, second.id).status == "published"
    overview = organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
    assert f"Version {second.number}, published" in overview and "org@example.com" in overview
    assert "superseded" in overview


def test_grid_and_attendee_pages_escape_names(organiser, event, make_attendee):
    make_attendee(event, ext_id="X1", name="Ann <i>Lee</i>", company="<b>Smith & Sons</b>",
                  region="APAC", offers=["DevOps"], seeks=["Hosting"])
    version = plan_event(event, time_limit=1)
    schedule, _ = version_schedule(version)
    assert any(m.involves("X1") for m in schedule.meetings)
    grid = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/").get_data(as_text=True)
    assert "&lt;b&gt;Smith &amp; Sons&lt;/b&gt;" in grid and "<b>Smith" not in grid
    assert "Ann &lt;i&gt;Lee&lt;/i&gt;" in grid
    assert "Blue" in grid and "Person 00" in grid
    assert "Cross-region meetings" in grid and "Score of the bound" in grid
    page = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/attendee?a=X1")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Ann &lt;i&gt;Lee&lt;/i&gt;" in text
    partner = next(m for m in schedule.for_attendee("X1")).partner_of("X1")
    assert f"Person {partner[1:]}" in text
    assert "which you seek" in text or "open networking" in text or "region" in text
    missing = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/attendee?a=nobody")
    assert missing.status_code == 302


def test_exports(organiser, event, make_attendee):
    make_attendee(event, ext_id="F1", name="=cmd|' /C calc'!A0", company="Evil", region="APAC")
    version = plan_event(event, time_limit=1)
    base = f"/console/{event.slug}/schedule"
    response = organiser.get(f"{base}/v{version.number}/schedule.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"\xef\xbb\xbf")   # a BOM, like every CSV export: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["round", "table", "a_id", "a_name", "a_company", "b_id", "b_name",
                       "b_company", "score", "reason", "start", "end"]
    assert len(rows) - 1 == len(version.meetings)
    cells = [c for row in rows[1:] for c in row]
    assert not any(c.startswith("=") for c in cells)
    if any(c == "F1" for c in cells):
        assert "'=cmd|' /C calc'!A0" in cells
    assert rows[1][10].startswith("2031-06-12T14:00")

    book = load_workbook(io.BytesIO(organiser.get(f"{base}/v{version.number}/schedule.xlsx").data))
    assert [c.value for c in book.active[1]][:3] == ["round", "table", "a_id"]

    attendees_csv = organiser.get(f"{base}/attendees.csv").get_data(as_text=True)
    assert "'=cmd|' /C calc'!A0" in attendees_csv
    book = load_workbook(io.BytesIO(organiser.get(f"{base}/attendees.xlsx").data))
    names = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in names
    assert organiser.get(f"{base}/attendees.pdf").status_code == 404


def test_anonymous_users_are_sent_to_sign_in(client, app, event):
    version = plan_event(event, time_limit=1)
    job = start_test_job(event, lambda ctx: None)
    wait_for_job(job.id, 5)
    base = f"/console/{event.slug}"
    for url in [f"{base}/schedule/", f"{base}/schedule/generate", f"{base}/jobs/{job.id}",
                f"{base}/jobs/{job.id}.json", f"{base}/schedule/v{version.number}/",
                f"{base}/schedule/v{version.number}/attendee?a=A00",
                f"{base}/schedule/v{version.number}/publish",
                f"{base}/schedule/v{version.number}/schedule.csv", f"{base}/schedule/attendees.xlsx"]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    # POSTs without a session are refused too (CSRF first, then sign-in).
    for url in [f"{base}/schedule/generate", f"{base}/jobs/{job.id}/cancel",
                f"{base}/schedule/v{version.number}/publish"]:
        assert client.post(url, data={}).status_code in (302, 400), url
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, version.id).status == "draft"


def test_staff_cannot_open_schedule_pages(staff, event):
    assert staff.get(f"/console/{event.slug}/schedule/").status_code == 404


def test_overview_link_and_csp(app, organiser, event):
    overview = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert f'href="/console/{event.slug}/schedule/"' in overview
    page = organiser.get(f"/console/{event.slug}/schedule/")
    assert "<script>" not in page.get_data(as_text=True)
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    token = csrf_token(organiser, f"/console/{event.slug}/schedule/")
    assert token


def test_a_revision_job_shows_its_score_and_no_bound(organiser, event):
    publish_version(plan_event(event, time_limit=1))
    response = submit(organiser, f"/console/{event.slug}/schedule/generate",
                      {"mode": "revise", "time_limit": "1", "seed": "0"})
    assert response.status_code == 302, response.get_data(as_text=True)
    job_id = _job_id(response)
    done = wait_for_job(job_id, 30)
    assert done.status == "done", done.error
    progress = organiser.get(f"/console/{event.slug}/jobs/{job_id}.json").get_json()["progress"]
    version = db.session.get(ScheduleVersion, done.result["version_id"])
    assert version.kind == "revision"
    assert progress["score"] == pytest.approx(version.report["total_score"], abs=0.1) and progress["score"] > 0
    assert progress["bound"] is None and progress["percent_of_bound"] is None
    page = organiser.get(f"/console/{event.slug}/jobs/{job_id}").get_data(as_text=True)
    assert f'<dd data-field="score">{progress["score"]:.1f}</dd>' in page
    assert re.search(r'<div data-figure="percent" hidden>', page)


def test_progress_shows_no_figure_the_solver_has_not_reported():
    from scheduler.solver import Progress
    from web.schedules.planning import progress_reporter

    stored: list[dict] = []
    report = progress_reporter(lambda progress, force=False: stored.append(progress))
    report(Progress("scoring", 0, 3, 0.0, 0.0, 0.1))
    assert stored[-1]["score"] is None and stored[-1]["percent_of_bound"] is None
    report(Progress("placing", 1, 3, 40.0, 200.0, 0.2))
    report(Progress("placing", 2, 3, 50.0, 200.0, 0.3))
    assert stored[-1]["score"] == 90.0 and stored[-1]["percent_of_bound"] == 45.0
    report(Progress("polishing", 3, 3, 0.0, 0.0, 0.4))  # a plan's polishing tells no score: keep it
    assert stored[-1]["score"] == 90.0
    revision: list[dict] = []
    report = progress_reporter(lambda progress, force=False: revision.append(progress))
    report(Progress("revising", 1, 3, 120.0, 0.0, 0.1))  # a revision: whole score, no bound
    assert revision[-1]["score"] == 120.0 and revision[-1]["bound"] is None
    assert revision[-1]["percent_of_bound"] is None


def test_the_plan_button_names_the_chosen_way_to_plan(organiser, event):
    assert 'value="Generate schedule"' in organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
    publish_version(plan_event(event, time_limit=1))
    overview = organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
    assert 'value="Revise"' in overview and 'data-label-regenerate="Re-generate from scratch"' in overview
    assert "schedules/plan-form.js" in overview and "<script>" not in overview
    refused = submit(organiser, f"/console/{event.slug}/schedule/generate",
                     {"mode": "regenerate", "time_limit": "1", "seed": "0"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'value="Re-generate from scratch"' in html and "schedules/plan-form.js" in html
