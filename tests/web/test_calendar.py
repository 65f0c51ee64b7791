"""The personal calendar file: one VEVENT per meeting, stable UIDs, growing SEQUENCE,
cancelled slots, event time zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar

from tests.web.test_me import store_version
from web.extensions import db
from web.liveday.clock import delay_clock
from web.public.calendar import slot_uid


def by_round(cal, event):
    tz = zoneinfo.ZoneInfo(event.timezone)
    result = {}
    for vevent in cal.walk("VEVENT"):
        start = vevent.decoded("dtstart")
        number = int((start.astimezone(tz).replace(tzinfo=None) - event.start).total_seconds() // 600) + 1
        result[number] = vevent
    return result


def test_calendar_has_one_event_per_meeting_with_partner_and_local_times(client, make_event, make_attendee):
    event = make_event(rounds=3, timezone="America/New_York", venue="Hall B", table_labels="A1\nA2")
    ana = make_attendee(event, name="Ana Lima")
    bo = make_attendee(event, name="Bo Chen", company="Chen Ops")
    cy = make_attendee(event, name="Cy Diaz", company="Diaz Data")
    store_version(event, [(1, 1, ana, bo), (3, 2, cy, ana)])

    response = client.get(f"/me/{ana.token}/agenda.ics")
    cal = icalendar.Calendar.from_ical(response.data)
    assert response.mimetype == "text/calendar"
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    assert [tz["tzid"] for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    vevents = by_round(cal, event)
    assert sorted(vevents) == [1, 3]
    first, third = vevents[1], vevents[3]
    assert "Bo Chen" in str(first["summary"]) and "Chen Ops" in str(first["summary"])
    assert "table A1" in str(first["location"]) and "Hall B" in str(first["location"])
    assert "Cy Diaz" in str(third["summary"]) and "A2" in str(third["summary"])
    assert first["dtstart"].params["TZID"] == "America/New_York"
    ny = zoneinfo.ZoneInfo("America/New_York")
    assert first.decoded("dtstart") == dt.datetime(2031, 6, 12, 14, 0, tzinfo=ny)
    assert first.decoded("dtend") == dt.datetime(2031, 6, 12, 14, 8, tzinfo=ny)
    assert third.decoded("dtstart") == dt.datetime(2031, 6, 12, 14, 20, tzinfo=ny)
    assert {str(v["uid"]) for v in vevents.values()} == {slot_uid(ana.token, 1), slot_uid(ana.token, 3)}
    for vevent in vevents.values():
        assert ana.token not in str(vevent["uid"]) and "ana" not in str(vevent["uid"]).lower()
        assert int(vevent["sequence"]) == 0 and str(vevent["status"]) == "CONFIRMED"


def test_republish_keeps_uids_grows_sequence_and_cancels_dropped_slots(client, make_event, make_attendee):
    event = make_event(rounds=3)
    ana, bo, cy, di = (make_attendee(event, name=n) for n in ("Ana", "Bo", "Cy", "Di"))
    store_version(event, [(1, 1, ana, bo), (2, 1, ana, cy), (3, 1, ana, di)])
    before = by_round(icalendar.Calendar.from_ical(client.get(f"/me/{ana.token}/agenda.ics").data), event)

    # Version 2: round 1 unchanged, round 2 gets a new partner, round 3 is dropped.
    store_version(event, [(1, 1, ana, bo), (2, 1, ana, di)])
    after = by_round(icalendar.Calendar.from_ical(client.get(f"/me/{ana.token}/agenda.ics").data), event)

    assert sorted(after) == [1, 2, 3]
    for number in (1, 2, 3):
        assert str(after[number]["uid"]) == str(before[number]["uid"])
    assert int(after[1]["sequence"]) == int(before[1]["sequence"]) == 0
    assert int(after[2]["sequence"]) > int(before[2]["sequence"])
    assert "Di" in str(after[2]["summary"])
    assert str(after[3]["status"]) == "CANCELLED"
    assert int(after[3]["sequence"]) > int(before[3]["sequence"])

    # Version 3 brings round 3 back: same UID, higher SEQUENCE again, confirmed.
    store_version(event, [(1, 1, ana, bo), (2, 1, ana, di), (3, 2, ana, cy)])
    again = by_round(icalendar.Calendar.from_ical(client.get(f"/me/{ana.token}/agenda.ics").data), event)
    assert str(again[3]["uid"]) == str(before[3]["uid"])
    assert str(again[3]["status"]) == "CONFIRMED"
    assert int(again[3]["sequence"]) > int(after[3]["sequence"])
    assert int(again[1]["sequence"]) == 0


def test_calendar_is_empty_before_publishing(client, make_event, make_attendee):
    event = make_event()
    ana, bo = make_attendee(event), make_attendee(event)
    store_version(event, [(1, 1, ana, bo)], publish=False)
    cal = icalendar.Calendar.from_ical(client.get(f"/me/{ana.token}/agenda.ics").data)
    assert cal.walk("VEVENT") == []


def test_a_delay_on_the_day_moves_calendar_times_and_raises_their_sequence(client, make_event, make_attendee):
    """Calendar apps apply a moved time only when SEQUENCE grows: a delay must raise it."""
    event = make_event(rounds=2, timezone="UTC")
    ana, bo = make_attendee(event, name="Ana"), make_attendee(event, name="Bo")
    store_version(event, [(2, 1, ana, bo)])
    url = f"/me/{ana.token}/agenda.ics"
    (before,) = icalendar.Calendar.from_ical(client.get(url).data).walk("VEVENT")

    delay_clock(event, 15, dt.datetime.combine(event.date, dt.time(6, 0), tzinfo=dt.UTC))
    db.session.commit()
    (after,) = icalendar.Calendar.from_ical(client.get(url).data).walk("VEVENT")
    assert str(after["uid"]) == str(before["uid"])
    assert after.decoded("dtstart") - before.decoded("dtstart") == dt.timedelta(minutes=15)
    assert int(after["sequence"]) > int(before["sequence"])
