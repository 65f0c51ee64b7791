"""Forms of the mail pages (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length


class SendLinksForm(FlaskForm):
    scope = RadioField("Send to", choices=[
        SelectChoice("unsent", "Only attendees who have not been sent their link yet"),
        SelectChoice("all", "Every attendee with an e-mail address (again, for those sent before)"),
    ], default="unsent", validators=[DataRequired(message="Choose who gets the message.")])
    batch = HiddenField(validators=[DataRequired(), Length(max=40)])
    submit = SubmitField("Queue the messages")
