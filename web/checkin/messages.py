"""What a kiosk says after a scan: the sentence in large type and what a screen reader
announces (the colour of the answer box is lost on someone who cannot see it)."""

from __future__ import annotations

from web.checkin.services import CheckInResult, Seating


def result_message(result: CheckInResult) -> str:
    """The sentence the kiosk shows in large type. A table is named only when one is
    published; otherwise the sentence says what the organiser's choice makes true."""
    if result.status == "unknown" or result.attendee is None:
        if result.other_event:
            return f"This badge is for {result.other_event}"
        return "Unknown code"
    name = result.attendee.name
    if result.status == "withdrawn":
        return f"{name} is withdrawn: restore and check in?"
    if result.status == "undone":
        return f"The check-in of {name} from this scan was undone: scan again to check in"
    if result.status == "already" and result.checkin is not None:
        where = f" ({result.checkin.device})" if result.checkin.device else ""
        return f"{name} already checked in at {result.checkin.local_time}{where}"
    greeting = f"Welcome back, {name}" if result.back else f"Welcome, {name}"
    meeting = result.first_meeting
    if meeting is not None:
        return (f"{greeting}: round {meeting.round} at table {meeting.table_label} with "
                f"{meeting.partner}, {meeting.start:%H:%M}")
    if result.seating is Seating.ORGANISER:
        return f"{greeting}: the organisers will seat you from round {result.seated_from_round}"
    if result.seating is Seating.DESK:
        return f"{greeting}: no table for you yet, please see the desk"
    if result.seating is Seating.NO_ROUNDS:
        return f"{greeting}: every round has started"
    return greeting


def announcement(result: CheckInResult) -> str:
    """What a screen reader says after a scan: the answer, prefixed with its outcome, since the
    colour of the answer box (green, amber, red) is lost on someone who cannot see it."""
    outcome = {"welcome": "Checked in", "already": "Already checked in", "withdrawn": "Not checked in",
               "unknown": "Not checked in", "undone": "Not checked in"}[result.status]
    return f"{outcome}. {result_message(result)}."
