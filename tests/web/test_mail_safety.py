"""Mail no one can abuse: hostile addresses and names are refused where they enter (the public
form, the console form, the import, the API, the walk-in) or reach the server harmless; links
come only from SPEEDNET_PUBLIC_URL; one poison message fails alone; the attempt limit holds.
Checked on what a real SMTP server (aiosmtpd) receives: envelope recipients and headers."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from sqlalchemy import select

from scheduler.addresses import single_line
from tests.scheduler.test_addresses import HOSTILE
from tests.support.smtp import smtp_config
from tests.support.text import field_errors, plain
from tests.web.conftest import _CSRF_RE, attendee_file, csrf_token, person, submit
from tests.web.test_mail_messages import run_queued_tasks
from tests.web.test_registration import form_data, post_registration
from web import create_app
from web.attendees.models import Attendee
from web.extensions import db
from web.mail.delivery import MailSettingsError
from web.mail.messages import send_personal_links
from web.mail.models import MailState, OutboxMessage
from web.mail.services import MAX_ATTEMPTS, SENDING_TIMEOUT, MailError, deliver_due, enqueue
from web.types import utcnow

# The hostile addresses that look most like an address to a form's validator.
FORM_HOSTILE = [
    "=?utf-8?q?a=0D=0ABcc=3A_evil=40attacker.example?=@example.org",
    '"gus@example.org" evil4@attacker.example',
    "Ana <ana@example.org>",
    "ana@example.org, evil@attacker.example",
    "friends: ana@example.org, evil@attacker.example;",
    "ana(evil@attacker.example)@example.org",
    "ana@example.org\u2028Bcc: evil@attacker.example",
    "ana@example.org\u0085Bcc: evil@attacker.example",
]
HOSTILE_NAMES = [
    "Ana\r\nBcc: evil@attacker.example",
    "=?utf-8?q?Ana=0D=0ABcc=3A_evil=40attacker.example?=",
    "Ana\u2028Bcc: evil@attacker.example",
    "Ana\u0085Bcc: evil@attacker.example",
    "Ana\nVisit http://phish.example to keep your seat",
]


@pytest.fixture
def app_config(smtp_port: int) -> dict[str, Any]:
    return {**smtp_config(smtp_port), "QUEUE_IN_PROCESS_WORKER": False}


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def attendees(event) -> list[Attendee]:
    db.session.expire_all()
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)))


def recipients(smtp) -> list[str]:
    return [rcpt for _sender, rcpts in smtp.inbox.envelopes for rcpt in rcpts]


def assert_harmless(smtp, *expected: str) -> None:
    """Only the expected recipients in the envelopes, and no header naming anyone else."""
    assert sorted(recipients(smtp)) == sorted(expected)
    for message in smtp.inbox.messages:
        assert message["Bcc"] is None and message["Cc"] is None
        assert [a.addr_spec for a in message["To"].addresses] == [str(message["To"])]
        assert "attacker" not in str(message["To"]) and "attacker" not in " ".join(
            f"{k}: {v}" for k, v in message.items() if k.lower() != "subject")
        assert "\n" not in str(message["Subject"]) and "\r" not in str(message["Subject"])


# --------------------------------------------------------------------------- where they enter


@pytest.mark.parametrize("email", FORM_HOSTILE)
def test_the_registration_form_refuses_a_hostile_address(client, make_event, email):
    event = make_event(registration_open=True)
    response = post_registration(client, event, form_data(email=email))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "email")
    assert attendees(event) == [] and outbox() == []


@pytest.mark.parametrize("email", FORM_HOSTILE)
def test_the_link_recovery_form_refuses_a_hostile_address(app, client, make_event, make_attendee, email):
    event = make_event()
    make_attendee(event, email="ana@example.org")
    url = f"/e/{event.slug}/link"
    response = client.post(url, data={"email": email, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 422 and field_errors(response.get_data(as_text=True), "email")
    assert run_queued_tasks(app) == 0 and outbox() == []


@pytest.mark.parametrize("email", FORM_HOSTILE[:4])
def test_the_console_form_refuses_a_hostile_address(organiser, make_event, email):
    event = make_event()
    url = f"/console/{event.slug}/attendees/new"
    response = submit(organiser, url, {"ext_id": "A1", "name": "Ana", "email": email, "company": "Acme",
                                       "region": "EMEA", "partner_type": "ISV", "offers": "Hosting"})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "email")
    assert attendees(event) == []


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_import_names_the_line_and_field_of_each_hostile_address(organiser, make_event, fmt):
    event = make_event()
    rows = [person("A1"), *(person(f"H{i}", email=email) for i, email in enumerate(FORM_HOSTILE))]
    url = f"/console/{event.slug}/attendees/import"
    response = organiser.post(url, data={"csrf_token": csrf_token(organiser, url),
                                         "file": (io.BytesIO(attendee_file(rows, fmt)), f"a.{fmt}")},
                              content_type="multipart/form-data")
    text = plain(response.get_data(as_text=True))
    assert response.status_code == 422
    # A workbook cell starting with "=" is a formula, read without its text: no address at all.
    first = 3 if fmt == "csv" else 4
    for line in range(first, 3 + len(FORM_HOSTILE)):  # the problems table: line, column, problem
        assert re.search(rf"\b{line} email '", text), line
    assert attendees(event) == []


def test_the_api_import_answers_each_hostile_address_with_its_line_and_field(api, make_event):
    event = make_event(slug="summit")
    rows = [person("A1"), *(person(f"H{i}", email=email) for i, email in enumerate(FORM_HOSTILE))]
    response = api("PUT", f"/api/v1/events/{event.slug}/attendees", data=attendee_file(rows),
                   headers={"Content-Type": "text/csv"})
    assert response.status_code == 422
    found = {(e["line"], e["field"]) for e in response.json["errors"]}
    assert found == {(line, "email") for line in range(3, 3 + len(FORM_HOSTILE))}
    assert attendees(event) == []


def test_the_walk_in_refuses_a_hostile_address(staff, make_event):
    event = make_event()
    url = f"/checkin/{event.slug}/walk-in"
    page = staff.get(url).get_data(as_text=True)
    nonce = re.search(r'id="nonce" name="nonce" type="hidden" value="([^"]+)"', page).group(1)
    response = submit(staff, url, {"name": "Walker Kim", "company": "Late Co", "region": "EMEA",
                                   "partner_type": "ISV", "offers": ["Hosting"], "nonce": nonce,
                                   "email": FORM_HOSTILE[0]})
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "email")
    assert attendees(event) == []


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_hostile_name_is_stored_on_one_line_and_never_mailed(client, smtp, make_event, name):
    event = make_event(registration_open=True)
    assert post_registration(client, event, form_data(name=name, email="ana@example.org")).status_code == 303
    [row] = attendees(event)
    assert row.name == single_line(name) and "\n" not in row.name
    assert deliver_due().sent == 1
    assert_harmless(smtp, "ana@example.org")
    body = smtp.inbox.messages[0].get_content()
    assert "Ana" not in body and "phish" not in body


# --------------------------------------------------------------------------- the builder


@pytest.mark.parametrize("to", HOSTILE)
def test_the_outbox_refuses_a_hostile_address(app, to):
    with pytest.raises(MailError, match="to:"):
        enqueue(to=to, subject="s", body="b", kind="personal-link", dedupe_key="k")


def store_raw(to: str, subject: str = "Hello", n: int = 0) -> None:
    """A row as older versions stored it (no check on the way in)."""
    now = utcnow()
    db.session.add(OutboxMessage(to_address=to, subject=subject, body="Body\n", kind="personal-link",
                                 dedupe_key=f"raw:{n}:{to}", state=MailState.QUEUED, attempts=0,
                                 next_attempt_at=now, created_at=now))
    db.session.commit()


def test_a_poison_message_fails_alone_and_the_good_ones_leave_in_the_same_run(app, smtp):
    good = [f"person{i}@example.org" for i in range(4)]
    store_raw(good[0], n=0)
    store_raw(FORM_HOSTILE[0], n=1)
    store_raw(good[1], n=2)
    store_raw('"gus@example.org" evil4@attacker.example', n=3)
    store_raw(good[2], n=4)
    store_raw("ana@example.org", subject="Hi =?utf-8?q?a=0D=0ABcc=3A_evil=40attacker.example?=", n=5)
    store_raw(good[3], n=6)
    report = deliver_due()
    assert (report.sent, report.failed) == (5, 2)
    assert_harmless(smtp, *good, "ana@example.org")
    states = {m.to_address: (m.state, m.last_error) for m in outbox()}
    for bad in (FORM_HOSTILE[0], '"gus@example.org" evil4@attacker.example'):
        state, error = states[bad]
        assert state == "failed" and "not sent" in error
    assert deliver_due().sent == 0  # nothing is retried or sent twice


def test_an_event_name_with_encoded_words_and_line_breaks_reaches_no_one_else(app, smtp, make_event,
                                                                               make_attendee):
    event = make_event(name="Summit =?utf-8?q?=0D=0ABcc=3A_evil=40attacker.example?=\r\nBcc: evil2@attacker.example")
    for i in range(3):
        make_attendee(event, email=f"p{i}@example.org")
    send_personal_links(event, "all", "batch")
    assert deliver_due().sent == 3
    assert_harmless(smtp, "p0@example.org", "p1@example.org", "p2@example.org")


def test_a_hostile_address_stored_earlier_skips_that_person_only(app, smtp, make_event, make_attendee):
    """Rows stored before addresses were checked where they enter: the others still get theirs."""
    event = make_event()
    make_attendee(event, email="p0@example.org")
    make_attendee(event, email=FORM_HOSTILE[1])
    make_attendee(event, email="p2@example.org")
    assert send_personal_links(event, "all", "batch") == (2, 0)
    assert deliver_due().sent == 2
    assert_harmless(smtp, "p0@example.org", "p2@example.org")


def test_a_message_stuck_in_sending_past_its_attempts_fails_instead_of_looping(app, smtp):
    store_raw("ana@example.org")
    message = outbox()[0]
    message.state, message.attempts = MailState.SENDING, MAX_ATTEMPTS
    message.claimed_at = utcnow() - SENDING_TIMEOUT - dt.timedelta(seconds=1)
    db.session.commit()
    assert deliver_due().sent == 0
    (message,) = outbox()
    assert message.state == "failed" and f"{MAX_ATTEMPTS} attempts" in message.last_error
    assert smtp.inbox.messages == []


def test_a_message_stuck_in_sending_below_its_attempts_is_sent_again(app, smtp):
    store_raw("ana@example.org")
    message = outbox()[0]
    message.state, message.attempts = MailState.SENDING, 1
    message.claimed_at = utcnow() - SENDING_TIMEOUT - dt.timedelta(seconds=1)
    db.session.commit()
    assert deliver_due().sent == 1
    assert recipients(smtp) == ["ana@example.org"]


# --------------------------------------------------------------------------- links


def forged_token(client, url: str) -> str:
    """The form's CSRF token as a visitor to ``evil.example`` gets it (the cookie follows the
    host, so the whole visit happens under the forged name)."""
    page = client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
    return _CSRF_RE.search(page).group(1)


def test_a_forged_host_header_never_reaches_a_mailed_link(app, smtp, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, email="ana@example.org")
    client = app.test_client()
    url = f"/e/{event.slug}/link"
    response = client.post(url, data={"email": "ana@example.org", "csrf_token": forged_token(client, url)},
                           headers={"Host": "evil.example"})
    assert response.status_code == 200
    run_queued_tasks(app)
    assert deliver_due().sent == 1
    body = smtp.inbox.messages[0].get_content()
    assert f"http://localhost/me/{ana.token}" in body
    assert "evil.example" not in body


def test_a_registration_under_a_forged_host_mails_the_public_address(app, smtp, make_event):
    event = make_event(registration_open=True)
    client = app.test_client()
    url = f"/e/{event.slug}/register"
    response = client.post(url, data={**form_data(), "csrf_token": forged_token(client, url)},
                           headers={"Host": "evil.example"})
    assert response.status_code == 303
    (message,) = outbox()
    assert "http://localhost/me/" in message.body and "evil.example" not in message.body


def test_without_a_public_url_no_link_is_mailed(app, smtp, make_event, make_attendee):
    app.config["PUBLIC_URL"] = None
    event = make_event()
    make_attendee(event, email="ana@example.org")
    client = app.test_client()
    url = f"/e/{event.slug}/link"
    response = client.post(url, data={"email": "ana@example.org", "csrf_token": forged_token(client, url)},
                           headers={"Host": "evil.example"})
    assert response.status_code == 200
    run_queued_tasks(app)
    assert outbox() == []


def test_mail_refuses_to_start_without_a_public_url(tmp_path, smtp_port):
    config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": "x",
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
              **smtp_config(smtp_port), "PUBLIC_URL": None}
    with pytest.raises(MailSettingsError, match="SPEEDNET_PUBLIC_URL"):
        create_app(config)
