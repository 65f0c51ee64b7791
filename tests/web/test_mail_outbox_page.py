"""Without SMTP settings (as in ``make run``) mail is held in the outbox, and the organiser
reads it on the event's outbox page; nobody else can."""

from __future__ import annotations

from sqlalchemy import select

from tests.support.text import missing_facts, plain
from tests.web.conftest import submit
from web.extensions import db
from web.mail.models import OutboxMessage
from web.mail.services import NO_SERVER, deliver_due, enqueue


def add(event, n: int = 1, **fields):
    for i in range(n):
        values = {"to": f"p{i}@example.com", "subject": f"Subject {event.slug} {i}",
                  "body": f"Body of {event.slug} {i}\nsecond line", "kind": "registration",
                  "dedupe_key": f"{event.slug}:{i}", "event_id": event.id, **fields}
        enqueue(**values)
    db.session.commit()


def test_without_smtp_messages_are_held_and_nothing_is_lost(app, make_event):
    event = make_event()
    add(event, 3)
    report = deliver_due()
    assert report.sent == 0
    db.session.expire_all()
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.state for m in messages] == ["held"] * 3
    assert {m.last_error for m in messages} == {NO_SERVER}


def test_queued_messages_are_held_when_the_server_setting_goes_away(app, make_event):
    event = make_event()
    app.config["SMTP_HOST"], app.config["MAIL_FROM"] = "127.0.0.1", "a@example.com"
    add(event, 2)
    assert db.session.scalars(select(OutboxMessage.state)).all() == ["queued", "queued"]
    app.config["SMTP_HOST"] = None
    assert deliver_due().held == 2
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage.state)).all() == ["held", "held"]


def test_organiser_reads_held_messages_of_this_event_only(organiser, make_event):
    event, other = make_event(), make_event()
    add(event, 2, subject="Welcome <b>Ana</b>", body="Hello <script>x</script>")
    add(event, 1, subject="Plain", body="Line one", dedupe_key="plain")
    add(other, 1)
    response = organiser.get(f"/console/{event.slug}/mail/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "No SMTP server is configured" in html
    assert html.count("<strong>held</strong></td>") == 3
    assert "Welcome &lt;b&gt;Ana&lt;/b&gt;" in html and "Hello &lt;script&gt;" in html
    assert "Line one" in html and NO_SERVER in html
    assert f"Subject {other.slug}" not in html and f"Body of {other.slug}" not in html
    filtered = organiser.get(f"/console/{event.slug}/mail/?state=sent").get_data(as_text=True)
    assert "Welcome" not in filtered and "No messages in state sent" in filtered


def test_outbox_is_linked_from_the_event_overview(organiser, make_event):
    event = make_event()
    html = organiser.get(f"/console/{event.slug}/").get_data(as_text=True)
    assert f'href="/console/{event.slug}/mail/"' in html


def test_outbox_page_is_for_organisers_only(app, client, staff, make_event):
    event = make_event()
    add(event, 1)
    assert staff.get(f"/console/{event.slug}/mail/").status_code == 404
    assert staff.get(f"/console/{event.slug}/mail/send-links").status_code == 404
    anonymous = client.get(f"/console/{event.slug}/mail/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert "p0@example.com" not in anonymous.get_data(as_text=True)


def test_unknown_event_is_404(organiser):
    assert organiser.get("/console/nope/mail/").status_code == 404
    assert organiser.get("/console/nope/mail/send-links").status_code == 404


def test_deleting_the_event_deletes_its_messages(organiser, make_event):
    event = make_event()
    add(event, 2)
    response = submit(organiser, f"/console/{event.slug}/delete", {"confirm": event.slug})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.scalars(select(OutboxMessage)).all() == []


def test_outbox_pages_through_every_message_and_keeps_the_filter(organiser, make_event, monkeypatch):
    import web.mail.routes as routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 10)
    event = make_event()
    add(event, 23)
    url = f"/console/{event.slug}/mail/"
    first = organiser.get(url).get_data(as_text=True)
    assert "Messages 1–10 of 23" in first and "Page 1 of 3" in first
    assert 'rel="prev"' not in first and f'href="{url}?page=2" rel="next"' in first
    last = organiser.get(url + "?page=3").get_data(as_text=True)
    assert "Messages 21–23 of 23" in last and 'rel="next"' not in last
    assert f'href="{url}?page=2" rel="prev"' in last
    seen = set()
    for number in (1, 2, 3):
        html = organiser.get(url, query_string={"page": number}).get_data(as_text=True)
        seen |= {i for i in range(23) if f"Subject {event.slug} {i}<" in html}
    assert seen == set(range(23))  # every message on exactly one of the pages, none lost
    beyond = organiser.get(url + "?page=99").get_data(as_text=True)
    assert not missing_facts(plain(beyond), "21–23", "of 23")
    held = organiser.get(url, query_string={"state": "held", "page": 2}).get_data(as_text=True)
    assert not missing_facts(plain(held), "11–20", "of 23", "held")
    assert f'href="{url}?state=held&amp;page=3" rel="next"' in held
    assert f'href="{url}?state=held&amp;page=1" rel="prev"' in held


def test_an_opened_message_wraps_inside_the_page(organiser, make_event):
    event = make_event()
    add(event, 1, body="https://example.com/" + "x" * 400)
    html = organiser.get(f"/console/{event.slug}/mail/").get_data(as_text=True)
    assert '<table class="outbox">' in html and '<div class="table-wrap">' not in html
