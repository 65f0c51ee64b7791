"""Schedule services without requests: plan, store, publish, compare, export."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from scheduler.checker import check_schedule
from scheduler.importer import read_attendee_file
from scheduler.schedule_io import COLUMNS
from web.extensions import db
from web.jobs import wait_for_job
from web.schedules.diffs import diff_versions
from web.schedules.exports import export_attendees, export_schedule
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event, start_schedule_job
from web.schedules.publishing import publish_version
from web.schedules.versions import (
    ScheduleError,
    latest_draft,
    published_version,
    store_plan_result,
    version_schedule,
)
from web.schedules.views import quality_summary

COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security"]


def small_event(make_event, make_attendee, n=8, **event_fields):
    event = make_event(rounds=3, **event_fields)
    people = []
    for i in range(n):
        people.append(make_attendee(
            event, ext_id=f"A{i:02d}", name=f"Person {i:02d}", company=f"Firm {i}",
            region=["EMEA", "APAC", "AMER"][i % 3],
            offers=[COMPETENCIES[i % 4]], seeks=[COMPETENCIES[(i + 1) % 4]],
        ))
    return event, people


def test_plan_event_stores_a_valid_draft(app, make_event, make_attendee):
    event, _ = small_event(make_event, make_attendee)
    version = plan_event(event, time_limit=1)
    assert version.status == "draft" and version.number == 1 and version.kind == "plan"
    schedule, attendees = version_schedule(version)
    assert schedule.meetings and check_schedule(schedule, attendees) == []
    assert {m.a_id for m in schedule.meetings} <= {a.id for a in attendees}
    assert version.report["meetings"] == len(schedule.meetings)
    assert latest_draft(event).id == version.id and published_version(event) is None
    summary = quality_summary(version)
    assert summary.meetings == len(schedule.meetings)
    assert 0 < summary.cross_region_share <= 1 and 0 <= summary.complementary_share <= 1
    assert summary.percent_of_bound > 0


def test_schedule_job_produces_a_checked_version(app, make_event, make_attendee):
    event, _ = small_event(make_event, make_attendee)
    job = start_schedule_job(event, time_limit=1, seed=3)
    done = wait_for_job(job.id, 30)
    assert done.status == "done", done.error
    version = db.session.get(ScheduleVersion, done.result["version_id"])
    schedule, attendees = version_schedule(version)
    assert check_schedule(schedule, attendees) == []
    progress = done.progress
    assert progress["phase"] == "done"
    assert progress["rounds_placed"] == progress["rounds_total"] == 3
    assert progress["score"] == pytest.approx(version.report["total_score"], abs=0.1)
    assert version.report["params"] == {"time_limit": 1.0, "seed": 3, "mode": "plan"}


def test_publish_supersedes_the_previous_version(app, make_event, make_attendee, organiser_user):
    event, _ = small_event(make_event, make_attendee)
    first = publish_version(plan_event(event, time_limit=1), organiser_user)
    assert first.status == "published" and first.published_at and first.published_by_id == organiser_user.id
    second = plan_event(event, time_limit=1, seed=5)
    publish_version(second)
    db.session.expire_all()
    assert db.session.get(ScheduleVersion, first.id).status == "superseded"
    assert published_version(event).id == second.id
    with pytest.raises(ScheduleError):
        publish_version(db.session.get(ScheduleVersion, first.id))


def test_diff_lists_changed_attendees(app, make_event, make_attendee):
    event, _ = small_event(make_event, make_attendee)
    old = plan_event(event, time_limit=1)
    schedule, attendees = version_schedule(old)
    first = schedule.meetings[0]
    # The same plan with the first meeting dropped: both of its attendees changed.
    from scheduler.domain import Schedule
    from scheduler.solver import PlanReport, PlanResult

    trimmed = Schedule(schedule.rounds, schedule.tables, schedule.meetings[1:])
    new = store_plan_result(event, PlanResult(trimmed, PlanReport("FEASIBLE", "hand-made")))
    diff = diff_versions(old, new)
    assert (diff.removed, diff.added, diff.moved) == (1, 0, 0)
    assert diff.unchanged == len(schedule.meetings) - 1
    changed = {a.attendee_id for a in diff.attendees}
    assert changed == {first.a_id, first.b_id}
    removed = diff.for_attendee(first.a_id).removed[0]
    assert removed.partner_id == first.b_id and removed.before == (first.round, first.table)
    assert diff_versions(None, new).added == len(trimmed.meetings)


def test_store_refuses_unknown_attendees(app, make_event, make_attendee):
    from scheduler.domain import Meeting, Schedule
    from scheduler.solver import PlanReport, PlanResult

    event, _ = small_event(make_event, make_attendee, n=2)
    ghost = Schedule(1, 1, (Meeting(1, 1, "A00", "ZZZ"),))
    with pytest.raises(ScheduleError, match="ZZZ"):
        store_plan_result(event, PlanResult(ghost, PlanReport("FEASIBLE", "")))


def test_exports_are_formula_safe_and_reimportable(app, make_event, make_attendee):
    event, people = small_event(make_event, make_attendee, n=6)
    people[0].name = "=HYPERLINK(\"http://x\")"
    db.session.commit()
    version = plan_event(event, time_limit=1)
    raw = export_schedule(event, version, "csv")
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    data = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    assert rows[0] == [*COLUMNS, "start", "end"]
    cells = [c for row in rows[1:] for c in row]
    assert "'=HYPERLINK(\"http://x\")" in cells and "=HYPERLINK(\"http://x\")" not in cells

    book = load_workbook(io.BytesIO(export_schedule(event, version, "xlsx")))
    sheet = book.active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == [*COLUMNS, "start", "end"]
    xlsx_cells = [c for row in values[1:] for c in row]
    assert "'=HYPERLINK(\"http://x\")" in xlsx_cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in xlsx_cells)
    assert isinstance(values[1][0], int)

    for fmt in ("csv", "xlsx"):
        again = read_attendee_file(export_attendees(event, fmt), filename=f"a.{fmt}",
                                   taxonomy=event.taxonomy_obj())
        assert [a.name for a in again.attendees][0] == "=HYPERLINK(\"http://x\")"
        assert len(again.attendees) == 6
