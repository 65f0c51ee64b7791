"""What a kiosk says after a scan: the sentence in large type and what a screen reader
announces (the colour of the answer box is lost on someone who cannot see it)."""

from __future__ import annotations

from web.checkin.services import CheckInResult


def result_message(result: CheckInResult) -> str:
    """The sentence the kiosk shows in large type."""
    if result.status == "unknown" or result.attendee is None:
        if result.other_event:
            return f"This badge is for {result.other_event}"
        return "Unknown code"
    name = result.attendee.name
    if result.status == "withdrawn":
        return f"{name} is withdrawn: restore and check in?"
    if result.status == "already" and result.checkin is not None:
        where = f" ({result.checkin.device})" if result.checkin.device else ""
        return f"{name} already checked in at {result.checkin.local_time}{where}"
    meeting = result.first_meeting
    if meeting is not None:
        return (f"Welcome, {name}: round {meeting.round} at table {meeting.table_label} with "
                f"{meeting.partner}, {meeting.start:%H:%M}")
    if result.unplaced:
        if result.next_round is None:
            return f"Welcome, {name}: no rounds left"
        return f"Welcome, {name}: you will get a table from round {result.next_round}"
    return f"Welcome, {name}"


def announcement(result: CheckInResult) -> str:
    """What a screen reader says after a scan: the answer, prefixed with its outcome, since the
    colour of the answer box (green, amber, red) is lost on someone who cannot see it."""
    outcome = {"welcome": "Checked in", "already": "Already checked in", "withdrawn": "Not checked in",
               "unknown": "Not checked in"}[result.status]
    return f"{outcome}. {result_message(result)}."
