"""An event that plans requested meetings only: the setting in the console and the API, a plan
that holds exactly the must-meet pairs, and the version page's breaks and unscheduled requests."""

from __future__ import annotations

import pytest

from tests.web.conftest import submit
from web.events.models import Event
from web.extensions import db
from web.schedules.planning import plan_event

PAIRS = [("R1", "R2"), ("R1", "R3"), ("R2", "R4"), ("R3", "R4"), ("R5", "R6"), ("R1", "R6")]


@pytest.fixture
def b2b(make_event, make_attendee):
    event = make_event(rounds=5, tables=3, slug="b2b")
    wanted: dict[str, list[str]] = {}
    for a, b in PAIRS:
        wanted.setdefault(a, []).append(b)
    for i in range(1, 8):                                  # R7 asked for nobody
        ext = f"R{i}"
        make_attendee(event, ext_id=ext, name=f"Rep {i}", company=f"Co {i}", must_meet=";".join(wanted.get(ext, [])))
    return event


def test_the_api_sets_requested_meetings_and_the_plan_holds_exactly_the_requests(api, b2b, organiser):
    changed = api("PATCH", "/api/v1/events/b2b", json={"meetings": "requested", "break_spread": 1})
    assert changed.status_code == 200, changed.json
    assert (changed.json["meetings"], changed.json["break_spread"]) == ("requested", 1)
    assert api("PATCH", "/api/v1/events/b2b", json={"meetings": "some"}).status_code == 422
    db.session.expire_all()
    version = plan_event(db.session.get(Event, b2b.id), time_limit=5)
    met = {frozenset((m.a.ext_id, m.b.ext_id)) for m in version.meetings}
    assert met == {frozenset(pair) for pair in PAIRS}
    report = version.report
    assert report["requests"]["scheduled"] == report["requests"]["requested"] == len(PAIRS)
    assert report["breaks"]["total"] == report["breaks"]["bound"] and report["breaks"]["optimal"] is True
    page = organiser.get(f"/console/b2b/schedule/v{version.number}/").get_data(as_text=True)
    assert "Requested meetings scheduled" in page and f"{len(PAIRS)} of {len(PAIRS)}" in page
    assert "Breaks" in page and "optimal" in page


def test_the_console_form_sets_the_mode_and_a_plan_names_a_request_it_cannot_keep(organiser, b2b, make_attendee):
    from tests.web.test_settings_guard import edit_form

    response = submit(organiser, "/console/b2b/edit", edit_form(b2b, meetings="requested", break_spread="2"))
    assert response.status_code == 302
    db.session.expire_all()
    event = db.session.get(Event, b2b.id)
    assert (event.meetings, event.break_spread) == ("requested", 2)
    lone = make_attendee(event, ext_id="R8", name="Rep 8", company="Co 8", must_meet="R7", available_rounds="1")
    seven = db.session.scalar(db.select(type(lone)).where(type(lone).ext_id == "R7", type(lone).event_id == event.id))
    seven.available_rounds = "2"                          # no shared round: the request cannot be kept
    db.session.commit()
    version = plan_event(event, time_limit=5)
    assert {"R7", "R8"} not in [{m.a.ext_id, m.b.ext_id} for m in version.meetings]
    unscheduled = version.report["requests"]["unscheduled"]
    assert [(u["a_id"], u["b_id"]) for u in unscheduled] in ([("R7", "R8")], [("R8", "R7")])
    page = organiser.get(f"/console/b2b/schedule/v{version.number}/").get_data(as_text=True)
    assert "Requested meetings not scheduled" in page and "Rep 7" in page and "Rep 8" in page
