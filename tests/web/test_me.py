"""The personal page /me/<token>: profile, QR, agenda after publishing, privacy headers."""

from __future__ import annotations

from sqlalchemy import func, select

from scheduler.scoring import explain_for
from tests.support.text import missing_facts, plain, text_of
from web.extensions import db
from web.schedules.models import ScheduleMeeting, ScheduleVersion
from web.schedules.publishing import publish_version


def store_version(event, meetings, *, publish=True):
    """A draft version with ``meetings`` = [(round, table, row_a, row_b)], optionally published."""
    number = (db.session.scalar(select(func.max(ScheduleVersion.number))
                                .where(ScheduleVersion.event_id == event.id)) or 0) + 1
    version = ScheduleVersion(event_id=event.id, number=number, status="draft", kind="plan",
                              report={"rounds": event.rounds, "tables": 4})
    version.meetings = [ScheduleMeeting(round=r, table=t, a_id=a.id, b_id=b.id, score=1.0, reason="")
                        for r, t, a, b in meetings]
    db.session.add(version)
    db.session.commit()
    if publish:
        publish_version(version)
    return version


def test_personal_page_shows_profile_qr_and_noindex_before_publishing(client, make_event, make_attendee):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima", company="Lima Cloud", title="CTO")
    response = client.get(f"/me/{ana.token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert '<meta name="robots" content="noindex' in html
    assert "Ana Lima" in html and "Lima Cloud" in html and "CTO" in html
    assert f"/me/{ana.token}/qr.svg" in html
    assert "has not been published yet" in html
    assert ana.checkin_code not in html  # only the image carries it


def test_agenda_after_publishing_lists_partners_times_tables_and_reasons(client, make_event, make_attendee):
    event = make_event(rounds=3, table_labels="A1\nA2", timezone="Asia/Singapore")
    ana = make_attendee(event, name="Ana Lima", offers=["Hosting"], seeks=["DevOps"])
    bo = make_attendee(event, name="Bo Chen", company="Chen Ops", region="APAC",
                       partner_type="MSP", offers=["DevOps"], seeks=["Hosting"])
    cy = make_attendee(event, name="Cy Diaz", company="Diaz Data", available_rounds="1-2")
    store_version(event, [(1, 1, ana, bo), (2, 2, cy, ana)])

    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert "2 meetings" in html
    assert "Bo Chen</strong>, Chen Ops" in html and "APAC · MSP" in html
    assert "Cy Diaz</strong>, Diaz Data" in html
    weights = event.scoring_weights()
    assert explain_for(ana.to_domain(), bo.to_domain(), weights) in html
    # Round 1 at 14:00 local (event zone), table labels shown; round 3 has no meeting.
    assert "<time>14:00</time>–<time>14:08</time>" in html and "Table <strong>A1</strong>" in html
    assert "<time>14:10</time>" in html and "Table <strong>A2</strong>" in html
    assert "No meeting this round" in html
    assert f'href="/me/{ana.token}/agenda.ics"' in html
    assert f'href="/me/{ana.token}/agenda.pdf"' in html

    cy_html = client.get(f"/me/{cy.token}").get_data(as_text=True)
    assert "Not attending this round." in cy_html  # round 3 is outside Cy's availability
    # The reason is written from the viewer's side.
    assert explain_for(bo.to_domain(), ana.to_domain(), weights) in client.get(f"/me/{bo.token}").get_data(as_text=True)


def test_draft_versions_are_not_shown(client, make_event, make_attendee):
    event = make_event(rounds=2)
    ana, bo = make_attendee(event), make_attendee(event, name="Bo Chen")
    store_version(event, [(1, 1, ana, bo)], publish=False)
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert "has not been published yet" in html and "Bo Chen" not in html


def test_unknown_token_is_404(client, make_event, make_attendee):
    make_attendee(make_event())
    assert client.get("/me/not-a-real-token").status_code == 404
    assert client.get("/me/not-a-real-token/agenda.ics").status_code == 404
    assert client.get("/me/not-a-real-token/qr.png").status_code == 404
    assert client.get("/me/" + "x" * 300).status_code == 404


def test_user_text_is_escaped(client, make_event, make_attendee):
    event = make_event(rounds=1)
    ana = make_attendee(event, name="<b>Ana</b>")
    bo = make_attendee(event, name="Bo <script>alert(1)</script>", company="A & B <i>Ltd</i>")
    store_version(event, [(1, 1, ana, bo)])
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<i>Ltd</i>" not in html and "<b>Ana</b>" not in html
    assert "Bo &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "A &amp; B &lt;i&gt;Ltd&lt;/i&gt;" in html


def test_someone_not_in_the_published_schedule_is_told_when_they_get_meetings(client, make_event, make_attendee):
    event = make_event(rounds=3)
    ana, bo = make_attendee(event, name="Ana Lima"), make_attendee(event, name="Bo Chen")
    store_version(event, [(1, 1, ana, bo)])
    late = make_attendee(event, name="Dee Late", source="registration")   # registered after publishing
    html = client.get(f"/me/{late.token}").get_data(as_text=True)
    assert not missing_facts(text_of(html, testid="not-placed"), "organisers", "revision")
    assert 'class="agenda"' not in html and "Round 1" not in html   # no empty rounds before a placement
    assert 'data-testid="not-placed"' not in client.get(f"/me/{ana.token}").get_data(as_text=True)


def test_a_withdrawn_attendee_reads_that_they_are_withdrawn(client, make_event, make_attendee):
    from web.attendees.lifecycle import withdraw_attendee

    event = make_event(rounds=3)
    ana, bo = make_attendee(event, name="Ana Lima"), make_attendee(event, name="Bo Chen")
    store_version(event, [(1, 1, ana, bo)])
    withdraw_attendee(ana)
    html = client.get(f"/me/{ana.token}").get_data(as_text=True)
    assert not missing_facts(plain(html), "withdrawn")
