"""Personal agendas: every round with time, table, partner and the reason from the reader's side."""

from __future__ import annotations

from badges import render_agenda, render_agendas
from badges.agenda import AWAY_TEXT, BREAK_TEXT
from badges.names import sorted_people
from tests.badges.conftest import decode_qr_texts, page_count, page_texts, render_page, to_bytes
from tests.support.text import missing_facts


def test_batch_has_one_page_per_attendee_in_name_order(attendees, schedule, event) -> None:
    pdf = to_bytes(render_agendas, attendees, schedule, event)
    texts = page_texts(pdf)
    assert len(texts) == len(attendees)
    expected = [a for a in sorted_people(attendees)]
    for text, person in zip(texts, expected):
        first_word = person.name.split()[0]
        if not any("\u0600" <= c <= "\u06ff" for c in first_word):
            assert first_word in text.splitlines()[2] or first_word in text


def test_agenda_lists_time_table_partner_and_viewer_reason(attendees, schedule, event) -> None:
    viewer = attendees[0]
    people = {a.id: a for a in attendees}
    reasons = {(viewer.id, m.partner_of(viewer.id)): f"reason for you and {m.partner_of(viewer.id)}"
               for m in schedule.for_attendee(viewer.id)}
    pdf = to_bytes(render_agenda, viewer, attendees, schedule, event, reasons=reasons)
    text = page_texts(pdf)[0]
    assert "Partner Summit 2026" in text and "Hall B" in text and "Monday 04 May 2026" in text
    assert "14:00\u201315:13" in text                      # session: 6 rounds, 15-minute pause
    for meeting in schedule.for_attendee(viewer.id):
        partner = people[meeting.partner_of(viewer.id)]
        assert f"reason for you and {partner.id}" in text
        assert event.table_label(meeting.table) in text
        assert partner.company in text
    assert "14:45\u201314:53" in text                       # round 4 starts after the pause
    assert "pause \u2014 15 minutes" in text


def test_sitting_out_and_absent_rounds_say_so(attendees, schedule, event) -> None:
    for person in attendees:
        met = {m.round for m in schedule.for_attendee(person.id)}
        text = page_texts(to_bytes(render_agenda, person, attendees, schedule, event))[0]
        sits_out = [r for r in range(1, 7) if r not in met and person.is_available(r)]
        absent = [r for r in range(1, 7) if r not in met and not person.is_available(r)]
        assert text.count(BREAK_TEXT) == len(sits_out)
        assert text.count(AWAY_TEXT) == len(absent)


def test_reasons_may_come_from_a_callable(attendees, schedule, event) -> None:
    viewer = attendees[1]
    pdf = to_bytes(render_agenda, viewer, attendees, schedule, event,
                   reasons=lambda me, partner: f"{partner.name} seeks what {me.name} offers")
    partner_id = schedule.for_attendee(viewer.id)[0].partner_of(viewer.id)
    partner = next(a for a in attendees if a.id == partner_id)
    assert f"{partner.name} seeks what" in page_texts(pdf)[0]


def test_agenda_qr_code_decodes_to_the_attendee(attendees, schedule, event) -> None:
    payloads = {a.id: f"tok-{a.id}" for a in attendees}
    pdf = to_bytes(render_agendas, attendees, schedule, event, qr_payloads=payloads)
    ordered = sorted_people(attendees)
    for index in (0, 5):
        assert decode_qr_texts(render_page(pdf, index, scale=2)) == [payloads[ordered[index].id]]


def test_many_rounds_continue_on_a_second_page(attendees, event) -> None:
    import dataclasses

    from tests.badges.conftest import make_schedule
    long_schedule = make_schedule(attendees, rounds=30)
    long_event = dataclasses.replace(event, timetable=dataclasses.replace(event.timetable, rounds=30))
    pdf = to_bytes(render_agenda, attendees[0], attendees, long_schedule, long_event)
    texts = page_texts(pdf)
    assert len(texts) >= 2
    assert "(continued)" in texts[1]
    assert page_count(pdf) == render_agenda(attendees[0], attendees, long_schedule, long_event,
                                            __import__("io").BytesIO())


def test_someone_not_placed_reads_when_the_agenda_comes_instead_of_empty_rounds(attendees, schedule, event) -> None:
    """A registration after the publish: one page that says so, no row of breaks."""
    import dataclasses

    newcomer = dataclasses.replace(attendees[0], id="NEW1", name="Nia Newcomer")
    text = " ".join(page_texts(to_bytes(render_agenda, newcomer, [*attendees, newcomer], schedule, event)))
    assert not missing_facts(text, "Nia Newcomer", "organisers", "desk")  # who places them, where to go
    assert BREAK_TEXT not in text
    batch = to_bytes(render_agendas, [*attendees, newcomer], schedule, event)
    assert page_count(batch) == page_count(to_bytes(render_agendas, attendees, schedule, event)) + 1
