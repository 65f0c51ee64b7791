"""The report stored with a version, typed (web.schedules.reports): it writes the JSON it wrote
before, reads it back field for field, and the pages show the same figures from it, for reports
stored by older versions too."""

from __future__ import annotations

import re

import pytest

from web.extensions import db
from web.schedules.models import ScheduleVersion
from web.schedules.planning import plan_event
from web.schedules.publishing import publish_version
from web.schedules.reports import DEFAULT_TIME_LIMIT, PlanParams, StoredReport
from web.schedules.views import quality_summary

COMPETENCIES = ["Hosting", "DevOps", "Data Platform", "Security"]


@pytest.fixture
def event(make_event, make_attendee):
    ev = make_event(rounds=3)
    for i in range(8):
        make_attendee(ev, ext_id=f"A{i:02d}", name=f"Person {i:02d}", company=f"Firm {i}",
                      region=["EMEA", "APAC", "AMER"][i % 3],
                      offers=[COMPETENCIES[i % 4]], seeks=[COMPETENCIES[(i + 1) % 4]])
    return ev


def _restore(version: ScheduleVersion, report: dict | None) -> ScheduleVersion:
    """Store ``report`` as the version's, as an older version of the app had written it."""
    version.report = report
    db.session.commit()
    db.session.expire_all()
    restored = db.session.get(ScheduleVersion, version.id)
    assert restored is not None
    return restored


def _overview_row(page: str, number: int) -> list[str]:
    """The cells of one version's row on the schedule overview."""
    row = re.search(rf"<tr>\s*<td><a [^>]*>{number}</a></td>(.*?)</tr>", page, re.S)
    assert row, page
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]


def test_a_stored_plan_reads_back_as_stored(app, event):
    version = plan_event(event, time_limit=1, seed=3)
    stored = version.plan_report
    assert stored.to_dict() == version.report          # the JSON is the same, key for key
    assert stored.solved and stored.breaks_counted
    assert (stored.rounds, stored.params) == (3, PlanParams(time_limit=1.0, seed=3, mode="plan"))
    assert stored.plan.meetings == version.report["meetings"] == len(version.meetings)
    assert stored.plan.status == version.report["status"] and stored.plan.meetings_mode == "fill"
    assert stored.plan.ratio == pytest.approx(version.report["ratio"], abs=1e-6)


def test_a_revision_keeps_its_figures_and_offers_its_time_limit_again(app, organiser, event):
    publish_version(plan_event(event, time_limit=1))
    revision = plan_event(event, time_limit=2, mode="revise")
    stored = revision.plan_report
    assert stored.to_dict() == revision.report
    assert stored.revision["base_version"] == 1 and stored.revision["agendas_changed"] == 0
    assert stored.plan.upper_bound is None and quality_summary(revision).percent_of_bound is None
    assert stored.time_limit == 2.0
    page = organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
    assert _overview_row(page, revision.number)[4] == str(len(revision.meetings))
    assert _overview_row(page, revision.number)[5] == ""        # no bound, no share of it


def test_an_old_report_shows_the_figures_it_has(app, organiser, event):
    """Stored before the meetings mode, the path, breaks, requests and the params were kept."""
    version = plan_event(event, time_limit=1)
    assert version.report is not None
    new = dict(version.report)
    old = {key: value for key, value in new.items()
           if key not in ("meetings_mode", "path", "breaks", "requests", "params")}
    old["sit_outs"] = {"total": 4, "worst": 1, "worst_attendee": "A03"}
    old["must_meet"] = {"requested": 2, "kept": 1, "unkept": [{"a_id": "A01", "b_id": "A02", "reason": "colleagues"}]}
    old["messages"] = ["kept from an old plan"]
    version = _restore(version, old)

    summary = quality_summary(version)
    assert summary.breaks is None and summary.requests is None
    assert (summary.sit_outs_total, summary.sit_outs_worst) == (4, 1)
    assert summary.sit_outs_worst_attendee == "Person 03 (A03)"
    assert (summary.must_meet_requested, summary.must_meet_kept) == (2, 1)
    assert [(u.a, u.b, u.reason) for u in summary.must_meet_unkept] == [("Person 01 (A01)", "Person 02 (A02)", "colleagues")]
    assert summary.percent_of_bound == pytest.approx(100 * new["ratio"], abs=1e-4)
    assert summary.total_score == pytest.approx(new["total_score"]) and summary.messages == ["kept from an old plan"]

    page = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/").get_data(as_text=True)
    assert "Person 03 (A03)" in page and "1 of 2" in page and "kept from an old plan" in page
    assert "Breaks" not in page and "Requested meetings" not in page
    assert f"{100 * new['ratio']:.1f}%" in page
    overview = organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
    assert _overview_row(overview, version.number)[4:6] == [str(new["meetings"]), f"{100 * new['ratio']:.1f}%"]

    publish_version(version)
    publish_version(plan_event(event, time_limit=1))                      # 2 published, 1 superseded
    draft = _restore(plan_event(event, time_limit=1, mode="revise"), old)  # a draft with no params
    assert draft.plan_report.time_limit == DEFAULT_TIME_LIMIT


def test_a_version_stored_without_a_solver_report(app, organiser, event):
    version = plan_event(event, time_limit=1)
    meetings = len(version.meetings)
    for report in (None, {"rounds": 3, "tables": 4}):
        version = _restore(version, report)
        stored = version.plan_report
        assert not stored.solved and stored.plan.status == ""
        assert stored.rounds == (3 if report else 0)
        summary = quality_summary(version)
        assert summary.meetings == meetings and summary.percent_of_bound == 100.0
        assert summary.breaks is None and summary.requests is None
        page = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/").get_data(as_text=True)
        assert "no report" in page
        overview = organiser.get(f"/console/{event.slug}/schedule/").get_data(as_text=True)
        assert _overview_row(overview, version.number)[4:6] == ["", ""]


def test_the_stored_json_is_what_the_web_wrote_before(app, event):
    """``rounds``, ``tables``, ``params`` and ``revision`` sit beside the solver's keys."""
    version = plan_event(event, time_limit=1)
    report = version.report
    assert report is not None
    assert report == version.plan_report.plan.to_dict() | {
        "rounds": 3, "tables": report["tables"],
        "params": {"time_limit": 1.0, "seed": 0, "mode": "plan"},
        "revision": report["revision"]}
    assert StoredReport.from_dict(version.report) == version.plan_report
