"""Registration as the organiser sets it up: the privacy notice and the consent stored with
its text, double opt-in (nobody unconfirmed appears anywhere), and one answer for every
address."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from tests.support.smtp import smtp_config
from tests.support.text import field_errors, plain
from tests.web.conftest import submit
from tests.web.test_events import event_form
from tests.web.test_mail_messages import run_queued_tasks
from tests.web.test_registration import form_data, post_registration
from web.attendees.models import Attendee, Consent, ConsentKind
from web.checkin.desk import search_desk
from web.events.models import Event
from web.extensions import db
from web.mail.models import OutboxMessage
from web.public.models import PendingRegistration
from web.public.registration import PENDING_LIFETIME, purge_expired
from web.types import utcnow

NOTICE = "Partner Summit Ltd keeps registrations for 90 days after the event."
CONTACT = "privacy@summit.example"


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return {**smtp_config(smtp_port), "QUEUE_IN_PROCESS_WORKER": False}


def attendees(event) -> list[Attendee]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)))


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    return list(db.session.scalars(query.where(OutboxMessage.kind == kind) if kind else query))


def confirm_link(body: str) -> str:
    return re.search(r"http://localhost(/e/[^/\s]+/confirm/\S+)", body).group(1)


# --------------------------------------------------------------------------- notice and consent


def test_the_form_shows_the_notice_and_the_consent_is_stored_with_its_text(client, make_event):
    event = make_event(registration_open=True, privacy_notice=NOTICE, privacy_contact=CONTACT)
    page = plain(client.get(f"/e/{event.slug}/register").get_data(as_text=True))
    assert NOTICE in page and CONTACT in page and "plan your speed networking meetings" in page
    at = dt.datetime(2031, 6, 1, 9, 30, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        assert post_registration(client, event, form_data()).status_code == 303
    [row] = attendees(event)
    [consent] = db.session.scalars(select(Consent).where(Consent.attendee_id == row.id))
    assert consent.kind == ConsentKind.REGISTRATION_PRIVACY and consent.withdrawn_at is None
    assert NOTICE in consent.text and CONTACT in consent.text and "agree" in consent.text
    assert consent.given_at == at  # when they ticked the box, to the second


def test_without_consent_nothing_is_stored(client, make_event):
    event = make_event(registration_open=True)
    response = post_registration(client, event, form_data(consent=""))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "consent")
    assert attendees(event) == [] and outbox() == []


def test_the_organiser_writes_the_notice_and_turns_on_double_opt_in(organiser, make_event):
    make_event(slug="edit-me")
    response = submit(organiser, "/console/edit-me/edit", event_form(
        slug="edit-me", registration_open="y", registration_confirm="y",
        privacy_notice=NOTICE, privacy_contact=CONTACT))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.scalar(select(Event).where(Event.slug == "edit-me"))
    assert (event.registration_confirm, event.privacy_notice, event.privacy_contact) == (True, NOTICE, CONTACT)
    page = organiser.get("/console/edit-me/edit").get_data(as_text=True)
    assert NOTICE in page and CONTACT in page


def test_the_api_sets_and_answers_the_registration_settings(api, make_event):
    make_event(slug="summit")
    answer = api("PATCH", "/api/v1/events/summit", json={
        "registration_confirm": True, "privacy_notice": NOTICE, "privacy_contact": CONTACT})
    assert answer.status_code == 200, answer.json
    assert (answer.json["registration_confirm"], answer.json["privacy_notice"],
            answer.json["privacy_contact"]) == (True, NOTICE, CONTACT)
    kept = api("PATCH", "/api/v1/events/summit", json={"venue": "Hall C"}).json
    assert kept["registration_confirm"] is True and kept["privacy_notice"] == NOTICE


# --------------------------------------------------------------------------- double opt-in


def test_double_opt_in_keeps_the_person_invisible_until_they_confirm(app, client, organiser, smtp,
                                                                     make_event):
    event = make_event(registration_open=True, registration_confirm=True, privacy_notice=NOTICE)
    response = post_registration(client, event, form_data(name="Ana Lima", email="ana@example.org"))
    assert response.headers["Location"].endswith(f"/e/{event.slug}/register/sent")

    # Nowhere: no attendee, not in the console's list or figures, not at the desk.
    assert attendees(event) == []
    listing = organiser.get(f"/console/{event.slug}/attendees/").get_data(as_text=True)
    assert "Ana Lima" not in listing
    assert "Ana Lima" not in organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert [m.attendee.name for m in search_desk(event, "Ana")] == []

    # The confirmation mail: only the link, nothing the visitor typed.
    (message,) = outbox("registration")
    assert message.to_address == "ana@example.org" and message.attendee_id is None
    assert "Ana" not in message.body and "Lima" not in message.body
    link = confirm_link(message.body)

    # Opening the link (a mail scanner may) only shows the button.
    page = client.get(link)
    assert page.status_code == 200 and attendees(event) == []
    confirmed = submit(client, link, {})
    assert confirmed.status_code == 303
    [row] = attendees(event)
    assert row.name == "Ana Lima" and row.email == "ana@example.org" and row.source == "registration"
    assert confirmed.headers["Location"].endswith(f"/me/{row.token}/registered")
    [consent] = db.session.scalars(select(Consent).where(Consent.attendee_id == row.id))
    assert NOTICE in consent.text
    assert "Ana Lima" in organiser.get(f"/console/{event.slug}/attendees/").get_data(as_text=True)
    (mailed,) = outbox("registration")[1:]
    assert f"/me/{row.token}" in mailed.body
    assert db.session.scalars(select(PendingRegistration)).all() == []

    # The link works once.
    assert client.get(link).status_code == 404
    assert len(attendees(event)) == 1


def test_an_unconfirmed_registration_expires(app, client, smtp, make_event):
    event = make_event(registration_open=True, registration_confirm=True)
    post_registration(client, event, form_data())
    link = confirm_link(outbox("registration")[0].body)
    assert purge_expired(utcnow() + PENDING_LIFETIME + dt.timedelta(minutes=1)) == 1
    db.session.commit()
    assert client.get(link).status_code == 404
    assert attendees(event) == [] and db.session.scalars(select(PendingRegistration)).all() == []


def test_a_new_request_replaces_the_pending_one_and_its_link(client, smtp, make_event):
    event = make_event(registration_open=True, registration_confirm=True)
    post_registration(client, event, form_data())
    first = confirm_link(outbox("registration")[0].body)
    post_registration(client, event, form_data(company="Other Co"))
    second = confirm_link(outbox("registration")[1].body)
    assert client.get(first).status_code == 404 and client.get(second).status_code == 200
    assert len(db.session.scalars(select(PendingRegistration)).all()) == 1


# --------------------------------------------------------------------------- one answer


@pytest.mark.parametrize("confirm", [False, True])
def test_a_known_address_gets_its_link_by_mail_and_the_same_page(app, client, smtp, make_event,
                                                                 make_attendee, confirm):
    event = make_event(registration_open=True, registration_confirm=confirm)
    known = make_attendee(event, email="ana@example.org", name="Ana Lima")
    answers = []
    for email in ("ana@example.org", "new@example.org"):
        response = post_registration(app.test_client(), event, form_data(email=email))
        answers.append((response.status_code, response.headers["Location"]))
    assert answers[0] == answers[1]
    run_queued_tasks(app)
    (recovery,) = outbox("link-recovery")
    assert recovery.to_address == "ana@example.org" and f"/me/{known.token}" in recovery.body
    assert [a.email for a in attendees(event)] == (["ana@example.org"] if confirm
                                                   else ["ana@example.org", "new@example.org"])
