"""The messages speednet sends, through a real SMTP server: registration confirmation, link
recovery (which reveals nothing), personal links for imported attendees, agenda changes."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from tests.support.smtp import smtp_config
from tests.support.text import line_with, missing_facts, plain
from tests.web.conftest import csrf_token, submit
from tests.web.test_registration import form_data, post_registration
from web.attendees.models import Attendee
from web.extensions import db
from web.jobs.queue import queue_of
from web.mail.messages import AgendaChange, tell_agenda_changes
from web.mail.models import OutboxMessage
from web.mail.services import deliver_due
from web.schedules.models import ScheduleVersion
from web.types import utcnow


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    # Queue tasks (the link lookups) stay on the queue until run_queued_tasks runs them.
    return {**smtp_config(smtp_port), "QUEUE_IN_PROCESS_WORKER": False}


def run_queued_tasks(app) -> int:
    """Run what the pages put on the job queue (the link lookups), as a worker would."""
    huey = queue_of(app)
    count = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        count += 1
    return count


def outbox(kind: str | None = None) -> list[OutboxMessage]:
    db.session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def body_of(message) -> str:
    return message.get_content()


# --------------------------------------------------------------------------- registration


def test_registration_confirmation_carries_the_personal_link(client, smtp, make_event):
    event = make_event(registration_open=True, name="Partner <Summit>")
    response = post_registration(client, event, form_data(name="Ana <Lima>", email="ana@example.com"))
    assert response.status_code == 303
    row = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    (queued,) = outbox("registration")
    assert queued.to_address == "ana@example.com" and queued.attendee_id == row.id
    assert deliver_due().sent == 1
    (message,) = smtp.inbox.messages
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "You are registered: Partner <Summit>"
    text = body_of(message)
    assert f"http://localhost/me/{row.token}" in text
    assert "Ana" not in text and "Lima" not in text  # nothing the visitor typed is mailed
    assert row.checkin_code not in text


def test_confirmation_links_use_the_public_address(app, client, smtp, make_event):
    app.config["PUBLIC_URL"] = "https://networking.example.com/summit"
    event = make_event(registration_open=True)
    post_registration(client, event, form_data())
    row = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    (queued,) = outbox("registration")
    assert f"https://networking.example.com/summit/me/{row.token}\n" in queued.body


def test_registering_twice_sends_one_confirmation(app, client, smtp, make_event):
    """The second time the address gets its link again by mail, and the page answers exactly
    as for a new address."""
    event = make_event(registration_open=True)
    first = post_registration(client, event, form_data())
    again = post_registration(client, event, form_data(name="Mallory\nhttp://phish.example"))
    assert (again.status_code, again.headers["Location"]) == (first.status_code, first.headers["Location"])
    assert run_queued_tasks(app) == 1
    assert len(outbox("registration")) == 1
    (recovery,) = outbox("link-recovery")
    row = db.session.scalar(select(Attendee).where(Attendee.event_id == event.id))
    assert recovery.to_address == "ana@example.com" and f"/me/{row.token}" in recovery.body
    assert "phish" not in recovery.body and "Mallory" not in recovery.body


# --------------------------------------------------------------------------- link recovery


def ask_for_link(client, event, email):
    url = f"/e/{event.slug}/link"
    return client.post(url, data={"email": email, "csrf_token": csrf_token(client, url)})


def test_link_recovery_answers_the_same_for_known_and_unknown_addresses(app, smtp, make_event,
                                                                        make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima", email="Ana@Example.com")
    answers = []
    for email in ["ana@example.com", "nobody@example.com", " ANA@example.com ",
                  "someone.else@example.org"]:
        response = ask_for_link(app.test_client(), event, email)
        answers.append((response.status_code, response.get_data(as_text=True)))
        assert outbox() == []  # the page answered before any lookup: a queue task does it
    assert len(set(answers)) == 1
    assert run_queued_tasks(app) == 4
    status, body = answers[0]
    assert status == 200 and "If this address is registered" in body
    assert "Ana" not in body

    assert deliver_due().sent == 1  # the second ask for Ana within minutes queues nothing new
    (message,) = smtp.inbox.messages
    assert message["To"] == "Ana@example.com"
    assert f"/me/{ana.token}" in body_of(message) and "Ana Lima" not in body_of(message)


def test_link_recovery_mails_every_page_of_that_address_in_this_event_only(app, smtp, make_event,
                                                                            make_attendee):
    event, other = make_event(), make_event()
    first = make_attendee(event, email="team@example.com", name="First")
    second = make_attendee(event, email="team@example.com", name="Second")
    elsewhere = make_attendee(other, email="team@example.com")
    ask_for_link(app.test_client(), event, "team@example.com")
    run_queued_tasks(app)
    deliver_due()
    (message,) = smtp.inbox.messages
    text = body_of(message)
    assert f"/me/{first.token}" in text and f"/me/{second.token}" in text
    assert elsewhere.token not in text


def test_link_recovery_needs_a_valid_address_csrf_and_is_rate_limited(app, client, make_event):
    event = make_event()
    url = f"/e/{event.slug}/link"
    assert client.get("/e/nope/link").status_code == 404
    bad = client.post(url, data={"email": "not-an-address", "csrf_token": csrf_token(client, url)})
    assert bad.status_code == 422 and "Enter one e-mail address" in bad.get_data(as_text=True)
    assert client.post(url, data={"email": "a@example.com"}).status_code == 400  # no CSRF token
    statuses = [ask_for_link(client, event, "x@example.com").status_code for _ in range(5)]
    assert 429 in statuses
    run_queued_tasks(app)
    assert outbox() == []


# --------------------------------------------------------------------------- personal links


def send_links(client, event, scope):
    url = f"/console/{event.slug}/mail/send-links"
    return submit(client, url, {"scope": scope, "batch": _batch(client, url)},
                  follow_redirects=True)


def _batch(client, url):
    found = re.search(r'name="batch"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found
    return found.group(1)


@pytest.mark.parametrize("with_address, without", [(1, 0), (3, 2), (0, 4)])
def test_send_personal_links_to_imported_attendees(organiser, smtp, make_event, make_attendee,
                                                   with_address, without):
    event = make_event()
    people = [make_attendee(event, email=f"p{i}@example.com") for i in range(with_address)]
    for _ in range(without):
        make_attendee(event, email="")
    page = send_links(organiser, event, "unsent").get_data(as_text=True)
    plural = "" if with_address == 1 else "s"
    assert not missing_facts(plain(page), f"{with_address} message{plural}",
                             f"{without} attendee{'' if without == 1 else 's'}", "no e-mail address")
    deliver_due()
    assert sorted(smtp.inbox.to()) == sorted(p.email for p in people)
    for message in smtp.inbox.messages:
        person = next(p for p in people if p.email == message["To"])
        assert f"/me/{person.token}" in body_of(message)
        others = [p.token for p in people if p is not person]
        assert not any(token in body_of(message) for token in others)


def test_not_yet_sent_does_not_resend_and_all_sends_again(organiser, smtp, make_event,
                                                          make_attendee):
    event = make_event()
    ana = make_attendee(event, email="ana@example.com")
    make_attendee(event, email="bo@example.com")
    send_links(organiser, event, "unsent")
    deliver_due()
    assert len(smtp.inbox.messages) == 2

    late = make_attendee(event, email="late@example.com")
    page = send_links(organiser, event, "unsent").get_data(as_text=True)
    assert "Queued 1 message;" in page
    deliver_due()
    assert smtp.inbox.to()[2:] == [late.email]

    assert "Queued 0 messages" in send_links(organiser, event, "unsent").get_data(as_text=True)
    assert "Queued 3 messages" in send_links(organiser, event, "all").get_data(as_text=True)
    deliver_due()
    assert sorted(smtp.inbox.to()[3:]) == sorted(["ana@example.com", "bo@example.com", late.email])
    assert len([m for m in outbox("personal-link") if m.attendee_id == ana.id]) == 2


def test_a_failed_link_counts_as_not_sent_and_a_double_submit_queues_once(organiser, smtp,
                                                                          make_event, make_attendee):
    event = make_event()
    make_attendee(event, email="ana@example.com")
    url = f"/console/{event.slug}/mail/send-links"
    batch = _batch(organiser, url)
    for _ in range(2):
        submit(organiser, url, {"scope": "all", "batch": batch})
    assert len(outbox("personal-link")) == 1
    smtp.inbox.reply = "550 no such user"
    deliver_due()
    assert outbox("personal-link")[0].state == "failed"
    assert "Queued 1 message" in send_links(organiser, event, "unsent").get_data(as_text=True)


def test_registered_attendees_count_as_sent(client, organiser, smtp, make_event):
    event = make_event(registration_open=True)
    post_registration(client, event, form_data())
    html = organiser.get(f"/console/{event.slug}/mail/send-links").get_data(as_text=True)
    assert "0 attendees with an address" in html
    assert "Queued 0 messages" in send_links(organiser, event, "unsent").get_data(as_text=True)


def test_send_links_is_linked_from_the_attendee_list(organiser, make_event):
    event = make_event()
    html = organiser.get(f"/console/{event.slug}/attendees/").get_data(as_text=True)
    assert f'href="/console/{event.slug}/mail/send-links"' in html


def test_send_links_refuses_a_post_without_csrf_or_scope(organiser, make_event, make_attendee):
    event = make_event()
    make_attendee(event, email="ana@example.com")
    url = f"/console/{event.slug}/mail/send-links"
    assert organiser.post(url, data={"scope": "all", "batch": "b"}).status_code == 400
    bad = submit(organiser, url, {"scope": "everyone", "batch": "b"})
    assert bad.status_code == 422
    assert outbox() == []


# --------------------------------------------------------------------------- agenda changes


def published(event, number=1):
    version = ScheduleVersion(event_id=event.id, number=number, status="published", kind="plan",
                              report={}, published_at=utcnow())
    db.session.add(version)
    db.session.commit()
    return version


def test_agenda_changes_go_to_affected_attendees_only(app, smtp, make_event, make_attendee):
    event = make_event(name="Partner Summit")
    ana = make_attendee(event, name="Ana Lima", email="ana@example.com")
    bo = make_attendee(event, name="Bo Chen", email="bo@example.com")
    cy = make_attendee(event, name="Cy Diaz", email="cy@example.com")
    no_mail = make_attendee(event, email="")
    previous = published(event, 1)
    previous.status = "superseded"
    db.session.commit()
    version = published(event, 2)
    changes = {
        ana.id: [AgendaChange(4, None, "Bo Chen, Chen Ops, table 12"),
                 AgendaChange(2, "Cy Diaz, Diaz Data, table 3", None)],
        bo.id: [AgendaChange(4, "Dee, Dee Co, table 1", "Ana Lima, Lima Cloud, table 12")],
        no_mail.id: [AgendaChange(1, None, "x, y, table 2")],
    }
    with app.test_request_context():  # as when an organiser publishes in the console
        tell_agenda_changes(version.event_id, version.id, changes)
        tell_agenda_changes(version.event_id, version.id, changes)  # again
    assert deliver_due().sent == 2
    by_to = {m["To"]: body_of(m) for m in smtp.inbox.messages}
    assert set(by_to) == {"ana@example.com", "bo@example.com"}  # not Cy, not the one without address
    ana_text = by_to["ana@example.com"]
    dropped, added = line_with(ana_text, "round 2"), line_with(ana_text, "round 4")
    assert not missing_facts(dropped, "no meeting", "Cy Diaz", "Diaz Data", "table 3")
    assert not missing_facts(added, "Bo Chen", "Chen Ops", "table 12")
    assert ana_text.index(dropped) < ana_text.index(added)  # in round order
    assert f"/me/{ana.token}" in ana_text and "Dee" not in ana_text
    moved = line_with(by_to["bo@example.com"], "round 4")
    assert not missing_facts(moved, "Ana Lima", "Lima Cloud", "table 12", "Dee", "Dee Co", "table 1")
    assert moved.index("Ana Lima") < moved.index("Dee")  # the new partner first, then the one it replaces
    assert all(not missing_facts(m["Subject"], "agenda", "Partner Summit") for m in smtp.inbox.messages)
    assert cy.token not in "".join(by_to.values())


def test_a_first_publish_or_a_withdrawn_attendee_sends_nothing(app, smtp, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, email="ana@example.com", withdrawn_at=utcnow())
    version = published(event)
    tell_agenda_changes(version.event_id, version.id, {})
    tell_agenda_changes(version.event_id, version.id, {ana.id: [AgendaChange(1, "x", None)]})
    assert outbox() == []


def test_a_publish_outside_a_request_without_public_url_still_tells_the_changes(app, smtp, make_event,
                                                                                make_attendee):
    app.config["PUBLIC_URL"] = None  # held mail (no SMTP_HOST) may be written without it
    event = make_event()
    ana = make_attendee(event, email="ana@example.com")
    version = published(event)
    tell_agenda_changes(version.event_id, version.id, {ana.id: [AgendaChange(3, None, "Bo, B Co, table 2")]})
    (message,) = outbox("agenda-change")
    assert "- round 3: now Bo, B Co, table 2" in message.body
    assert ana.token not in message.body  # no address known to build the link with


@pytest.mark.parametrize("in_request", [True, False])
def test_mailed_links_use_the_public_address_in_and_outside_requests(app, smtp, make_event,
                                                                     make_attendee, in_request):
    """A publish from a background job has no request; SPEEDNET_PUBLIC_URL still gives the link."""
    app.config["PUBLIC_URL"] = "https://networking.example.com"
    event = make_event()
    ana = make_attendee(event, email="ana@example.com")
    version = published(event)
    changes = {ana.id: [AgendaChange(1, None, "Bo, B Co, table 2")]}
    if in_request:
        with app.test_request_context("/console/x/schedule/", base_url="http://127.0.0.1:8000"):
            tell_agenda_changes(version.event_id, version.id, changes)
    else:
        tell_agenda_changes(version.event_id, version.id, changes)
    (message,) = outbox("agenda-change")
    assert f"https://networking.example.com/me/{ana.token}\n" in message.body
    assert "127.0.0.1" not in message.body


def test_the_recovery_form_is_linked_from_registration_pages(client, make_event):
    event = make_event(registration_open=True)
    link = f'href="/e/{event.slug}/link"'
    assert link in client.get(f"/e/{event.slug}/register").get_data(as_text=True)
    closed = make_event(registration_open=False)
    assert f'href="/e/{closed.slug}/link"' in client.get(f"/e/{closed.slug}/register").get_data(as_text=True)


@pytest.mark.parametrize("email, queued", [("ana@example.com", True), ("", False),
                                           ("a@example.com, b@example.com", False)])
def test_confirmation_only_for_a_usable_address(app, make_event, make_attendee, email, queued):
    from web.public.mail import queue_registration_confirmation

    attendee = make_attendee(make_event(), email=email, source="registration")
    with app.test_request_context():
        assert queue_registration_confirmation(attendee) is queued
    assert len(outbox("registration")) == int(queued)
    assert db.session.get(Attendee, attendee.id) is not None
