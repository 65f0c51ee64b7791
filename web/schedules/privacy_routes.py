"""The organiser's "Erase personal data" for one attendee: a confirmation page, then the
erasure (:func:`web.schedules.privacy.erase_attendee`). On the attendees feature's blueprint
(/console/<slug>/attendees/<id>/erase, endpoint ``attendees.erase_attendee``), defined here
because erasing revises the published schedule, which the attendees feature cannot see."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from web.attendees import bp as attendees_bp
from web.attendees.forms import ConfirmForm
from web.attendees.services import get_attendee_or_404
from web.auth.decorators import organiser_required
from web.events.services import get_event_or_404
from web.schedules.privacy import erase_attendee


@attendees_bp.route("/<int:attendee_id>/erase", methods=["GET", "POST"])
@organiser_required
def erase_attendee_page(slug: str, attendee_id: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    attendee = get_attendee_or_404(event, attendee_id)
    form = ConfirmForm()
    if attendee.erased_at is None and form.validate_on_submit():
        erasure = erase_attendee(attendee, current_user, reason="organiser")
        message = f"Personal data of attendee {attendee.badge_number} erased."
        if erasure.version_number:
            message += (f" Version {erasure.version_number} is published: their "
                        f"{erasure.meetings_removed} meeting(s) to come are sit-outs for their partners.")
        flash(message, "success")
        if erasure.revision_error:
            flash(f"Their meetings to come are still in the published schedule: {erasure.revision_error}",
                  "error")
        return redirect(url_for("attendees.list_attendees", slug=event.slug))
    return render_template("schedules/erase_attendee.html", event=event, attendee=attendee, form=form)
