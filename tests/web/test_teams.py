"""An event's team: who creates an event organises it, the team page adds, changes and
removes members (never the last organiser), and a removal ends the member's access at once,
in the browser and with an API token."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.text import text_of
from tests.web.conftest import ORGANISER_EMAIL, PASSWORD, STAFF_EMAIL, csrf_token, login, submit
from tests.web.test_events import event_form
from web import create_app
from web.audit.models import AuditAction, AuditEntry
from web.auth.services import ApiUser, create_api_token, create_user, find_user
from web.events.members import MemberRole, add_member, member_role, team_of
from web.events.models import Event
from web.extensions import db

EVENT = {"slug": "team-summit", "name": "Team Summit", "start": "2031-06-12T14:00:00",
         "timezone": "Europe/Amsterdam", "rounds": 6}


@pytest.fixture
def fixture_accounts_join_events() -> bool:
    return False  # this module builds every team itself


@pytest.fixture
def event(make_event, organiser_user):
    """An event organised by the fixture organiser alone."""
    made = make_event(slug="team-summit")
    add_member(made, organiser_user, MemberRole.ORGANISER)
    return made


def signed_in(app, email: str, kind: str = "organiser"):
    create_user(email, PASSWORD, kind)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def team_url(event: Event) -> str:
    return f"/console/{event.slug}/team"


def member_id(event: Event, email: str) -> int:
    return next(m.id for m in team_of(event) if m.email == email)


def test_whoever_creates_an_event_organises_it_and_nobody_else_sees_it(app, organiser, api):
    response = submit(organiser, "/console/new", event_form(slug="fresh", name="Fresh Summit"))
    assert response.status_code == 302, response.get_data(as_text=True)
    assert api("POST", "/api/v1/events", json=EVENT).status_code == 201
    me = find_user(ORGANISER_EMAIL)
    for slug in ("fresh", "team-summit"):
        event = db.session.scalar(db.select(Event).where(Event.slug == slug))
        assert member_role(me.id, event.id) == MemberRole.ORGANISER
    other = signed_in(app, "other@example.com")
    assert other.get("/console/fresh/").status_code == 404
    assert "Fresh Summit" not in other.get("/console/").get_data(as_text=True)
    other_token = create_api_token(find_user("other@example.com"))
    listed = app.test_client().get("/api/v1/events", headers={"Authorization": f"Bearer {other_token}"})
    assert listed.status_code == 200 and listed.json == []
    assert sorted(e["slug"] for e in api("GET", "/api/v1/events").json) == ["fresh", "team-summit"]


def test_the_team_page_adds_changes_and_removes_members(app, organiser, event):
    create_user("door@example.com", PASSWORD, "staff")
    create_user("partner@example.com", PASSWORD, "organiser")
    page = organiser.get(team_url(event)).get_data(as_text=True)
    assert ORGANISER_EMAIL in page and "Organiser" in page

    added = submit(organiser, team_url(event), {"email": "Door@Example.com", "role": "staff"})
    assert added.status_code == 302
    added = submit(organiser, team_url(event), {"email": "partner@example.com", "role": "staff"})
    assert added.status_code == 302
    page = organiser.get(team_url(event)).get_data(as_text=True)
    assert "door@example.com" in page and "partner@example.com" in page
    assert member_role(find_user("door@example.com").id, event.id) == MemberRole.STAFF

    partner = member_id(event, "partner@example.com")
    prefix = f"m{partner}-"
    changed = organiser.post(f"{team_url(event)}/{partner}/role", data={
        f"{prefix}role": "organiser", f"{prefix}csrf_token": csrf_token(organiser, team_url(event))})
    assert changed.status_code == 302
    assert member_role(find_user("partner@example.com").id, event.id) == MemberRole.ORGANISER

    door = member_id(event, "door@example.com")
    confirm = organiser.get(f"{team_url(event)}/{door}/remove")
    assert confirm.status_code == 200 and "door@example.com" in confirm.get_data(as_text=True)
    assert member_role(find_user("door@example.com").id, event.id) == MemberRole.STAFF  # not yet
    removed = submit(organiser, f"{team_url(event)}/{door}/remove")
    assert removed.status_code == 302
    assert member_role(find_user("door@example.com").id, event.id) is None
    assert "door@example.com" not in text_of(organiser.get(team_url(event)).get_data(as_text=True), id="team")
    trail = db.session.execute(select(AuditEntry.actor_label, AuditEntry.target, AuditEntry.details).where(
        AuditEntry.event_id == event.id, AuditEntry.action == AuditAction.TEAM).order_by(AuditEntry.id)).all()
    assert [(who, target, details["change"]) for who, target, details in trail][-4:] == [
        (ORGANISER_EMAIL, "door@example.com", "added"), (ORGANISER_EMAIL, "partner@example.com", "added"),
        (ORGANISER_EMAIL, "partner@example.com", "role"), (ORGANISER_EMAIL, "door@example.com", "removed")]


def test_adding_refuses_unknown_deactivated_and_doubled_accounts(app, organiser, event):
    create_user("gone@example.com", PASSWORD, "organiser").active = False
    db.session.commit()
    create_user("door@example.com", PASSWORD, "staff")
    for email, role, fact in (("nobody@example.com", "staff", "no account for nobody@example.com"),
                              ("gone@example.com", "staff", "deactivated"),
                              (ORGANISER_EMAIL, "staff", "already in the team"),
                              ("door@example.com", "organiser", "check-in staff account")):
        response = submit(organiser, team_url(event), {"email": email, "role": role})
        assert response.status_code == 422, email
        assert fact in text_of(response.get_data(as_text=True), id="email-errors"), email
    assert len(team_of(event)) == 1


def test_the_last_organiser_can_be_neither_removed_nor_demoted(app, organiser, event):
    me = member_id(event, ORGANISER_EMAIL)
    removed = submit(organiser, f"{team_url(event)}/{me}/remove")
    assert removed.status_code == 409
    assert "last organiser" in removed.get_data(as_text=True)
    demoted = organiser.post(f"{team_url(event)}/{me}/role", data={
        f"m{me}-role": "staff", f"m{me}-csrf_token": csrf_token(organiser, team_url(event))})
    assert demoted.status_code == 409 and "last organiser" in demoted.get_data(as_text=True)
    assert member_role(find_user(ORGANISER_EMAIL).id, event.id) == MemberRole.ORGANISER
    # With a second organiser, the first may step down.
    add_member(event, create_user("second@example.com", PASSWORD, "organiser"), MemberRole.ORGANISER)
    assert submit(organiser, f"{team_url(event)}/{me}/remove").status_code == 302
    assert organiser.get(f"/console/{event.slug}/").status_code == 404


def test_removal_ends_the_members_session_and_token_at_once(app, organiser, event):
    partner = signed_in(app, "partner@example.com")
    add_member(event, find_user("partner@example.com"), MemberRole.ORGANISER)
    token = create_api_token(find_user("partner@example.com"), "laptop")
    headers = {"Authorization": f"Bearer {token}"}
    api = app.test_client()
    assert partner.get(f"/console/{event.slug}/attendees/").status_code == 200
    assert api.get(f"/api/v1/events/{event.slug}", headers=headers).status_code == 200
    assert [e["slug"] for e in api.get("/api/v1/events", headers=headers).json] == [event.slug]

    assert submit(organiser, f"{team_url(event)}/{member_id(event, 'partner@example.com')}/remove").status_code == 302

    assert partner.get(f"/console/{event.slug}/attendees/").status_code == 404
    assert api.get(f"/api/v1/events/{event.slug}", headers=headers).status_code == 404
    assert api.get("/api/v1/events", headers=headers).json == []


def test_removal_reaches_another_worker_at_once(app, organiser, event):
    """Each worker remembers members' roles for 2 s (every kiosk scan asks); a removal made
    through one worker must not be served from another's memory."""
    signed_in(app, "partner@example.com")
    add_member(event, find_user("partner@example.com"), MemberRole.ORGANISER)
    headers = {"Authorization": f"Bearer {create_api_token(find_user('partner@example.com'), 'laptop')}"}
    other_worker = create_app({key: app.config[key] for key in (
        "TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "PASSWORD_HASH_METHOD", "PUBLIC_URL")} | {
        "INSTANCE_PATH": app.instance_path})
    with other_worker.app_context():
        assert other_worker.test_client().get(f"/api/v1/events/{event.slug}", headers=headers).status_code == 200

    submit(organiser, f"{team_url(event)}/{member_id(event, 'partner@example.com')}/remove")

    with other_worker.app_context():
        assert other_worker.test_client().get(f"/api/v1/events/{event.slug}", headers=headers).status_code == 404
        db.session.remove()
        db.engine.dispose()


def test_demotion_to_check_in_staff_leaves_only_the_kiosk(app, organiser, event):
    partner = signed_in(app, "partner@example.com")
    add_member(event, find_user("partner@example.com"), MemberRole.ORGANISER)
    assert partner.get(f"/console/{event.slug}/").status_code == 200
    pid = member_id(event, "partner@example.com")
    organiser.post(f"{team_url(event)}/{pid}/role", data={
        f"m{pid}-role": "staff", f"m{pid}-csrf_token": csrf_token(organiser, team_url(event))})
    assert partner.get(f"/console/{event.slug}/").status_code == 404
    assert partner.get(f"/checkin/{event.slug}").status_code == 200
    assert f"/checkin/{event.slug}" in partner.get("/console/").get_data(as_text=True)


def test_staff_accounts_reach_only_the_kiosks_of_their_events(app, make_event, event):
    elsewhere = make_event(slug="elsewhere")
    door = signed_in(app, STAFF_EMAIL, "staff")
    assert door.get(f"/checkin/{event.slug}").status_code == 404
    add_member(event, find_user(STAFF_EMAIL), MemberRole.STAFF)
    assert door.get(f"/checkin/{event.slug}").status_code == 200
    assert door.get(f"/checkin/{elsewhere.slug}").status_code == 404
    assert door.get("/checkin/").headers["Location"].endswith(f"/checkin/{event.slug}")
    assert door.get(f"/console/{event.slug}/").status_code == 404
    token = create_api_token(find_user(STAFF_EMAIL), "kiosk")
    client = app.test_client()
    here = client.get(f"/api/v1/events/{event.slug}/checkins", headers={"Authorization": f"Bearer {token}"})
    there = client.get(f"/api/v1/events/{elsewhere.slug}/checkins", headers={"Authorization": f"Bearer {token}"})
    assert (here.status_code, there.status_code) == (200, 404)


def test_tokens_limited_to_an_event_or_to_reading(app, event, make_event, organiser_user, monkeypatch):
    """ApiUser.event_id and .read_only (set by the token's scope) narrow what the team allows."""
    elsewhere = make_event(slug="elsewhere")
    add_member(elsewhere, organiser_user, MemberRole.ORGANISER)
    token = create_api_token(organiser_user, "scoped")
    scope: dict[str, object] = {}

    def scoped(plain: str) -> ApiUser | None:
        return ApiUser(organiser_user.id, organiser_user.email, "organiser", **scope)  # type: ignore[arg-type]

    monkeypatch.setattr("web.api.auth.user_for_api_token", scoped)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    scope.update(event_id=event.id)
    assert client.get(f"/api/v1/events/{event.slug}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/events/{elsewhere.slug}", headers=headers).status_code == 404
    assert [e["slug"] for e in client.get("/api/v1/events", headers=headers).json] == [event.slug]
    assert client.post("/api/v1/events", json=EVENT | {"slug": "new-one"}, headers=headers).status_code == 403
    scope.update(event_id=None, read_only=True)
    assert client.get(f"/api/v1/events/{elsewhere.slug}", headers=headers).status_code == 200
    refused = client.patch(f"/api/v1/events/{event.slug}", json={"name": "Renamed"}, headers=headers)
    assert refused.status_code == 403 and "read-only" in refused.json["message"]
    assert client.post("/api/v1/events", json=EVENT | {"slug": "new-one"}, headers=headers).status_code == 403
    db.session.expire_all()
    assert db.session.get(Event, event.id).name != "Renamed"


def test_an_operator_adds_a_member_from_the_command_line(app, make_event):
    lost = make_event(slug="orphan")
    create_user("rescuer@example.com", PASSWORD, "organiser")
    result = app.test_cli_runner().invoke(args=["event-member", "orphan", "rescuer@example.com"])
    assert result.exit_code == 0, result.output
    assert member_role(find_user("rescuer@example.com").id, lost.id) == MemberRole.ORGANISER
    refused = app.test_cli_runner().invoke(args=["event-member", "nowhere", "rescuer@example.com"])
    assert refused.exit_code != 0 and "nowhere" in refused.output


def test_the_token_page_offers_only_the_accounts_own_events(organiser, event, make_event):
    make_event(slug="other-team-summit", name="Other Team Summit")
    page = organiser.get("/console/api-tokens").get_data(as_text=True)
    assert "team-summit" in page
    assert "other-team-summit" not in page and "Other Team Summit" not in page
