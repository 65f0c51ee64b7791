"""The directory and attendees' wishes: opt-in, one-tap wishes within the event's limits and
until its closing time, the API, what the planner receives, privacy, suggestions, and the
organisers' demand figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine

from tests.support.text import missing_facts, plain, text_of
from tests.web.conftest import csrf_token, submit
from tests.web.test_me import store_version
from tests.web.test_printing import pdf_text
from web.attendees.models import Attendee
from web.attendees.wishes import Wish, WishLevel, wish_lists_of, wishes_given
from web.events.models import Event
from web.extensions import db
from web.wishes.demand import demand_of
from web.wishes.services import WishRefused, directory_for, set_listing, set_wish

NOW = dt.datetime(2031, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(make_event, make_attendee):
    """An event with four attendees in the directory (Ana is the viewer) and one not listed."""
    event = make_event(rounds=4)
    rows = {
        "ana": make_attendee(event, ext_id="A0001", name="Ana Lima", company="Lima Cloud",
                             offers=["Hosting"], seeks=["DevOps"]),
        "bo": make_attendee(event, ext_id="A0002", name="Bo Chen", company="Chen Ops", region="APAC",
                            partner_type="MSP", offers=["DevOps"], seeks=["Hosting"]),
        "cy": make_attendee(event, ext_id="A0003", name="Cy Diaz", company="Diaz Data",
                            offers=["Security"], seeks=["Security"]),
        "di": make_attendee(event, ext_id="A0004", name="Di Evans", company="Evans AI",
                            offers=["Analytics"], seeks=["Analytics"]),
        "hidden": make_attendee(event, ext_id="A0005", name="Hal Hidden", company="Quiet Co"),
    }
    for key in ("ana", "bo", "cy", "di"):
        set_listing(rows[key], True, f"{rows[key].name} looks for partners", NOW)
    return event, rows


def wish_url(viewer: Attendee, ext_id: str) -> str:
    return f"/me/{viewer.token}/directory/{ext_id}"


def tap(client, viewer: Attendee, ext_id: str, level: str):
    """One tap on a wish button, with the token of the directory page's forms."""
    token = csrf_token(client, f"/me/{viewer.token}/directory")
    return client.post(wish_url(viewer, ext_id), data={"csrf_token": token, "level": level})


def listed_box_ticked(html: str) -> bool:
    box = re.search(r'<input[^>]*name="listed"[^>]*>', html)
    assert box, "no opt-in box on the page"
    return " checked" in box.group(0)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", html)


# --------------------------------------------------------------------------- the directory


def test_directory_lists_only_people_who_opted_in_and_opting_out_hides_at_once(client, people):
    _event, p = people
    page = client.get(f"/me/{p['ana'].token}/directory").get_data(as_text=True)
    text = plain(text_of(page, id="everyone"))
    assert not missing_facts(text, "Bo Chen", "Chen Ops", "APAC", "MSP", "Bo Chen looks for partners",
                             "Cy Diaz", "Di Evans")
    assert "Hal Hidden" not in page and "Ana Lima, Lima Cloud" not in text

    me = client.get(f"/me/{p['bo'].token}").get_data(as_text=True)
    assert listed_box_ticked(me)
    response = submit(client, f"/me/{p['bo'].token}/listing", {"looking_for": ""}, form_url=f"/me/{p['bo'].token}")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Attendee, p["bo"].id).directory_listed_at is None
    page = client.get(f"/me/{p['ana'].token}/directory").get_data(as_text=True)
    assert "Bo Chen" not in page


def test_opt_in_is_unticked_by_default_and_recorded_with_the_time(client, people):
    _event, p = people
    hal = p["hidden"]
    me = client.get(f"/me/{hal.token}").get_data(as_text=True)
    assert not listed_box_ticked(me)
    response = submit(client, f"/me/{hal.token}/listing",
                      {"listed": "y", "looking_for": "Resellers in\nthe Nordics"}, form_url=f"/me/{hal.token}")
    assert response.status_code == 303
    db.session.expire_all()
    row = db.session.get(Attendee, hal.id)
    assert row.directory_listed_at is not None
    assert row.looking_for == "Resellers in the Nordics"  # one line
    assert "Hal Hidden" in client.get(f"/me/{p['ana'].token}/directory").get_data(as_text=True)


def test_the_line_is_bounded(client, people):
    _event, p = people
    response = submit(client, f"/me/{p['hidden'].token}/listing", {"listed": "y", "looking_for": "x" * 141},
                      form_url=f"/me/{p['hidden'].token}")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Attendee, p["hidden"].id).directory_listed_at is None


def test_directory_filters_and_search(client, people):
    _event, p = people
    url = f"/me/{p['ana'].token}/directory"
    everyone = lambda query: plain(text_of(client.get(url + query).get_data(as_text=True), id="everyone"))  # noqa: E731
    assert "Bo Chen" in everyone("?region=APAC") and "Cy Diaz" not in everyone("?region=APAC")
    assert "Bo Chen" in everyone("?partner_type=MSP") and "Di Evans" not in everyone("?partner_type=MSP")
    assert "Cy Diaz" in everyone("?competency=Security") and "Bo Chen" not in everyone("?competency=Security")
    assert "Di Evans" in everyone("?q=evans") and "Cy Diaz" not in everyone("?q=evans")


def test_only_the_events_attendees_and_organisers_see_the_directory(client, organiser, people, make_event,
                                                                     make_attendee):
    event, p = people
    assert client.get("/me/not-a-token/directory").status_code == 404
    other = make_attendee(make_event(), name="Outsider")
    page = client.get(f"/me/{other.token}/directory").get_data(as_text=True)
    assert "Bo Chen" not in page  # another event's directory is not theirs
    assert client.get(f"/console/{event.slug}/wishes/directory").status_code == 302  # anonymous: sign in
    page = organiser.get(f"/console/{event.slug}/wishes/directory").get_data(as_text=True)
    assert not missing_facts(plain(page), "Bo Chen", "Cy Diaz", "Di Evans")
    assert "Hal Hidden" not in page


def test_suggested_for_you_is_ordered_by_the_pair_score(people):
    _event, p = people
    suggested = [entry.name for entry in directory_for(p["ana"]).suggested]
    # Bo offers what Ana seeks and seeks what she offers: the best pair comes first.
    assert suggested[0] == "Bo Chen"
    assert set(suggested) == {"Bo Chen", "Cy Diaz", "Di Evans"}


# --------------------------------------------------------------------------- wishes


def test_one_tap_marks_a_wish_and_shows_what_is_left(client, people):
    event, p = people
    event.wish_must_limit = 3
    db.session.commit()
    response = tap(client, p["ana"], "A0002", "must")
    assert response.status_code == 303
    assert wishes_given(p["ana"].id) == {p["bo"].id: WishLevel.MUST}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert not missing_facts(plain(page), "Must meet: 2 of 3 left")
    assert not missing_facts(plain(text_of(page, id="my-wishes")), "Must meet: Bo Chen")
    # tapping the chosen level again takes it back
    tap(client, p["ana"], "A0002", "clear")
    assert wishes_given(p["ana"].id) == {}


def test_the_must_limit_refuses_one_more_on_the_page_and_in_the_api(client, people):
    event, p = people
    event.wish_must_limit = 1
    db.session.commit()
    assert tap(client, p["ana"], "A0002", "must").status_code == 303
    response = tap(client, p["ana"], "A0003", "must")
    assert response.status_code == 422
    assert not missing_facts(text_of(response.get_data(as_text=True), id="wish-error"), "at most 1", "Must meet")
    assert wishes_given(p["ana"].id) == {p["bo"].id: WishLevel.MUST}

    answer = client.put(f"/api/v1/me/{p['ana'].token}/wishes",
                        json={"wishes": [{"id": "A0002", "level": "must"}, {"id": "A0003", "level": "must"}]})
    assert answer.status_code == 422
    assert "at most 1" in answer.get_json()["message"]
    assert wishes_given(p["ana"].id) == {p["bo"].id: WishLevel.MUST}


def test_the_want_limit_counts_in_the_api(client, people):
    event, p = people
    event.wish_want_limit = 2
    db.session.commit()
    url = f"/api/v1/me/{p['ana'].token}/wishes"
    ok = client.put(url, json={"wishes": [{"id": "A0002", "level": "want"}, {"id": "A0003", "level": "want"},
                                          {"id": "A0004", "level": "no"}]})
    assert ok.status_code == 200
    body = ok.get_json()
    assert {(w["id"], w["level"]) for w in body["wishes"]} == {("A0002", "want"), ("A0003", "want"),
                                                                ("A0004", "no")}
    assert {a["level"]: a["left"] for a in body["allowances"]} == {"must": 3, "want": 0}
    refused = client.put(url, json={"wishes": [{"id": "A0002", "level": "want"}, {"id": "A0003", "level": "want"},
                                               {"id": "A0004", "level": "want"}]})
    assert refused.status_code == 422 and "at most 2" in refused.get_json()["message"]
    # PUT replaces the whole list
    assert client.put(url, json={"wishes": [{"id": "A0004", "level": "must"}]}).status_code == 200
    assert client.get(url).get_json()["wishes"] == [
        {"id": "A0004", "name": "Di Evans", "company": "Evans AI", "level": "must"}]


def test_wishes_name_only_people_in_the_directory(client, people):
    _event, p = people
    answer = client.put(f"/api/v1/me/{p['ana'].token}/wishes", json={"wishes": [{"id": "A0005", "level": "want"}]})
    assert answer.status_code == 422 and "A0005" in answer.get_json()["message"]
    assert tap(client, p["ana"], "A0005", "want").status_code == 422
    assert tap(client, p["ana"], "A0001", "want").status_code == 422  # not oneself


def test_after_the_closing_time_wishes_do_not_change(client, people):
    event, p = people
    set_wish(p["ana"], "A0002", WishLevel.WANT, NOW)
    event.wishes_close_at = dt.datetime(2031, 6, 10, 7, 0, tzinfo=dt.UTC)  # 09:00 in Amsterdam
    db.session.commit()
    with pytest.raises(WishRefused, match="10 June 2031, 09:00"):
        set_wish(p["ana"], "A0003", WishLevel.WANT, dt.datetime(2031, 6, 10, 7, 0, tzinfo=dt.UTC))
    set_wish(p["ana"], "A0003", WishLevel.WANT, dt.datetime(2031, 6, 10, 6, 59, tzinfo=dt.UTC))

    event.wishes_close_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    db.session.commit()
    page = client.get(f"/me/{p['ana'].token}/directory").get_data(as_text=True)
    assert "Wishes closed on" in page and 'name="level"' not in page
    response = tap_without_page(client, p["ana"], "A0004", "must")
    assert response.status_code == 422
    assert "closed" in text_of(response.get_data(as_text=True), id="wish-error")
    answer = client.put(f"/api/v1/me/{p['ana'].token}/wishes", json={"wishes": []})
    assert answer.status_code == 422 and "2020" in answer.get_json()["message"]
    assert len(wishes_given(p["ana"].id)) == 2


def tap_without_page(client, viewer, ext_id, level):
    """A tap sent from a page loaded before the closing time (the /me page's token serves)."""
    token = csrf_token(client, f"/me/{viewer.token}")
    return client.post(wish_url(viewer, ext_id), data={"csrf_token": token, "level": level})


def test_event_settings_set_the_limits_and_the_closing_time(organiser, make_event):
    from tests.web.test_events import event_form

    event = make_event(slug="wishful")
    response = submit(organiser, "/console/wishful/edit",
                      event_form(slug="wishful", wish_must_limit="2", wish_want_limit="4",
                                 wishes_close="2031-06-10T09:00"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert (event.wish_must_limit, event.wish_want_limit) == (2, 4)
    assert event.wishes_close_at == dt.datetime(2031, 6, 10, 7, 0, tzinfo=dt.UTC)  # Amsterdam summer time
    page = organiser.get("/console/wishful/edit").get_data(as_text=True)
    assert 'value="2031-06-10T09:00"' in page


# --------------------------------------------------------------------------- the planner


def test_no_is_stored_and_passed_to_the_planner_as_wish_no(people, monkeypatch):
    from web.schedules import revisions
    from web.schedules.revisions import PlanMode, PlanningRequest, plan_for, planning_inputs

    event, p = people
    set_wish(p["ana"], "A0002", WishLevel.NO, NOW)
    set_wish(p["ana"], "A0003", WishLevel.MUST, NOW)
    set_wish(p["cy"], "A0004", WishLevel.WANT, NOW)
    assert db.session.query(Wish).filter_by(attendee_id=p["ana"].id, level="no").count() == 1
    lists = wish_lists_of(event.id)
    assert lists[p["ana"].id].no == ("A0002",) and lists[p["ana"].id].must == ("A0003",)

    seen = {}

    def fake_plan(request, progress=None, cancel=None):
        seen["people"] = {a.id: a for a in request.attendees}
        raise RuntimeError("stop")

    monkeypatch.setattr(revisions, "plan", fake_plan)
    inputs = planning_inputs(event, NOW)
    with pytest.raises(RuntimeError):
        plan_for(event, inputs, PlanningRequest(mode=PlanMode.PLAN, time_limit=1, seed=0))
    ana, cy = seen["people"]["A0001"], seen["people"]["A0003"]
    assert ana.wish_no == ("A0002",) and ana.wish_must == ("A0003",)
    assert cy.wish_want == ("A0004",)


def test_a_plan_weighs_the_stored_wishes_and_its_summary_says_so(people, organiser):
    """The whole path, solver included: the No pair never meets, the mutual Must does, and the
    version's quality summary counts both."""
    from web.schedules.planning import plan_event

    event, p = people
    set_wish(p["ana"], "A0002", WishLevel.NO, NOW)
    set_wish(p["cy"], "A0004", WishLevel.MUST, NOW)
    set_wish(p["di"], "A0003", WishLevel.MUST, NOW)
    version = plan_event(event, time_limit=1)
    pairs = {frozenset((m.a_id, m.b_id)) for m in version.meetings}
    assert frozenset((p["ana"].id, p["bo"].id)) not in pairs
    assert frozenset((p["cy"].id, p["di"].id)) in pairs
    page = organiser.get(f"/console/{event.slug}/schedule/v{version.number}/").get_data(as_text=True)
    summary = " ".join(plain(page).split())
    assert "Mutual Musts granted 1 of 1" in summary
    assert "Pairs with a No that meet 0" in summary


# --------------------------------------------------------------------------- privacy


def test_nobody_learns_who_wished_for_them(app, client, organiser, people):
    """Bo, Cy and Di each wish about Ana (Must, Want, No): nothing Ana can read changes (her
    page, agenda, directory, API), nor the organisers' exports (attendee file, personal links,
    schedule, results), which may be passed on. The clock stands still, so the pages' own
    time stamps (the form token, the calendar's DTSTAMP) cannot differ between the readings."""
    with time_machine.travel(NOW, tick=False):
        _compare_before_and_after_wishes(app, client, organiser, people)


def _compare_before_and_after_wishes(app, client, organiser, people):
    event, p = people
    ana = p["ana"]
    pages = (f"/me/{ana.token}", f"/me/{ana.token}/directory", f"/api/v1/me/{ana.token}/directory",
             f"/api/v1/me/{ana.token}/wishes", f"/me/{ana.token}/agenda.ics")
    store_version(event, [(1, 1, ana, p["bo"]), (2, 1, ana, p["cy"])])
    exports = (f"/console/{event.slug}/schedule/attendees.csv", f"/console/{event.slug}/attendees/links.csv",
               f"/console/{event.slug}/schedule/v1/schedule.csv", f"/console/{event.slug}/results/meetings.csv",
               f"/console/{event.slug}/results/attendance.csv")
    before = [without_tokens(client.get(url).get_data(as_text=True)) for url in pages]
    exported = [organiser.get(url).get_data(as_text=True) for url in exports]
    suggested = [e.ext_id for e in directory_for(ana).suggested]
    set_wish(p["bo"], "A0001", WishLevel.MUST, NOW)
    set_wish(p["cy"], "A0001", WishLevel.WANT, NOW)
    set_wish(p["di"], "A0001", WishLevel.NO, NOW)
    app.extensions.pop("speednet.public_pages", None)  # the agenda read again, not from the cache
    after = [without_tokens(client.get(url).get_data(as_text=True)) for url in pages]
    assert after == before
    assert [organiser.get(url).get_data(as_text=True) for url in exports] == exported
    assert [e.ext_id for e in directory_for(ana).suggested] == suggested


def test_a_mutual_wish_is_named_in_both_agendas_and_a_one_way_wish_in_neither(client, people):
    event, p = people
    store_version(event, [(1, 1, p["ana"], p["bo"]), (2, 1, p["ana"], p["cy"])])
    set_wish(p["ana"], "A0002", WishLevel.MUST, NOW)
    set_wish(p["bo"], "A0001", WishLevel.WANT, NOW)
    set_wish(p["cy"], "A0001", WishLevel.MUST, NOW)   # one way: Ana never learns it
    ana_page = client.get(f"/me/{p['ana'].token}").get_data(as_text=True)
    bo_page = client.get(f"/me/{p['bo'].token}").get_data(as_text=True)
    cy_page = client.get(f"/me/{p['cy'].token}").get_data(as_text=True)
    assert ana_page.count("You both asked to meet") == 1
    assert bo_page.count("You both asked to meet") == 1
    assert "You both asked to meet" not in cy_page
    # the printed agendas too
    ana_pdf = " ".join(pdf_text(client.get(f"/me/{p['ana'].token}/agenda.pdf").data).split())
    cy_pdf = " ".join(pdf_text(client.get(f"/me/{p['cy'].token}/agenda.pdf").data).split())
    assert ana_pdf.count("You both asked to meet") == 1
    assert "You both asked to meet" not in cy_pdf


# --------------------------------------------------------------------------- demand


def test_demand_figures_against_the_published_plan(organiser, people, make_attendee):
    event, p = people
    ana, bo, cy, di = p["ana"], p["bo"], p["cy"], p["di"]
    make_attendee(event, ext_id="A0006", name="Eve Finch", company="Finch", seeks=["Quantum"])
    store_version(event, [(1, 1, ana, bo), (2, 1, cy, di)])
    set_wish(ana, "A0002", WishLevel.MUST, NOW)    # mutual Must, granted
    set_wish(bo, "A0001", WishLevel.MUST, NOW)
    set_wish(ana, "A0003", WishLevel.WANT, NOW)    # one-way Want, not granted
    set_wish(di, "A0003", WishLevel.MUST, NOW)     # one-way Must, granted
    set_wish(cy, "A0002", WishLevel.WANT, NOW)     # Cy asked once and got nothing
    set_wish(bo, "A0004", WishLevel.NO, NOW)

    demand = demand_of(event)
    assert (demand.must_mutual.requested, demand.must_mutual.granted) == (1, 1)
    assert (demand.must.requested, demand.must.granted) == (1, 1)
    assert (demand.want.requested, demand.want.granted) == (2, 0)
    assert demand.no_given == 1 and demand.no_pairs_met == 0
    assert [person.name for person in demand.most_wished][:2] == ["Bo Chen", "Cy Diaz"]
    assert [person.name for person in demand.none_granted] == ["Cy Diaz"]
    assert demand.unmet_competencies == ["Quantum"]

    page = organiser.get(f"/console/{event.slug}/wishes/").get_data(as_text=True)
    assert not missing_facts(plain(text_of(page, id="row-must_mutual")), "1 1")
    assert not missing_facts(plain(text_of(page, id="row-want")), "2 0")
    assert not missing_facts(plain(text_of(page, id="none-granted")), "Cy Diaz")
    assert not missing_facts(plain(text_of(page, id="unmet-competencies")), "Quantum")
    assert "Wishes and directory" in organiser.get(f"/console/{event.slug}/").get_data(as_text=True)


def test_demand_page_shows_the_planners_figures_when_the_report_has_them(organiser, people):
    event, p = people
    version = store_version(event, [(1, 1, p["ana"], p["bo"])])
    version.report = {**(version.report or {}), "wishes": {"must_mutual": {"requested": 3, "granted": 2},
                                                           "no_pairs_met": 0}}
    db.session.commit()
    page = organiser.get(f"/console/{event.slug}/wishes/").get_data(as_text=True)
    assert not missing_facts(plain(text_of(page, id="planner-figures")), "must mutual: 2 of 3 granted",
                             "no pairs met: 0")


def test_demand_api_is_for_organiser_tokens(client, api, people):
    event, p = people
    set_wish(p["ana"], "A0002", WishLevel.WANT, NOW)
    assert client.get(f"/api/v1/events/{event.slug}/wishes").status_code == 401
    answer = api("GET", f"/api/v1/events/{event.slug}/wishes")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["want"] == {"requested": 1, "granted": 0} and body["published_version"] is None
    assert body["most_wished"][0]["name"] == "Bo Chen"


# --------------------------------------------------------------------------- organisers' pairs


def test_organisers_force_and_forbid_pairs_by_name(organiser, people):
    event, p = people
    ana, bo = p["ana"], p["bo"]
    edit = f"/console/{event.slug}/attendees/{ana.id}/edit"
    page = organiser.get(edit + "?pair_q=chen").get_data(as_text=True)
    assert not missing_facts(plain(text_of(page, id="pair-matches")), "Bo Chen, Chen Ops")
    assert "Cy Diaz" not in text_of(page, id="pair-matches")

    pairs_url = f"/console/{event.slug}/attendees/{ana.id}/pairs"
    response = submit(organiser, pairs_url, {"partner": bo.id, "rule": "must_meet", "pair_q": "chen"},
                      form_url=edit)
    assert response.status_code == 302 and "pair_q=chen" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).must_meet == "A0002"
    page = organiser.get(edit).get_data(as_text=True)
    assert "Bo Chen" in text_of(page, id="pairs-must")

    # forbidding the same pair replaces the rule on both sides
    submit(organiser, pairs_url, {"partner": bo.id, "rule": "avoid"}, form_url=edit)
    db.session.expire_all()
    assert (db.session.get(Attendee, ana.id).must_meet, db.session.get(Attendee, ana.id).avoid) == ("", "A0002")
    submit(organiser, pairs_url, {"partner": bo.id, "rule": "remove"}, form_url=edit)
    db.session.expire_all()
    assert db.session.get(Attendee, ana.id).avoid == ""
