"""Choices of the print page. Downloads are side-effect-free GET requests (the walk-in desk
links straight to one badge), so these forms read the query string and carry no CSRF token;
nothing on the print page changes data."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from badges.layouts import LAYOUTS
from web.printing.services import DEFAULT_LAYOUT


class _QueryForm(FlaskForm):
    class Meta:
        csrf = False

    missing_attendee = "Give the id of the attendee to print for."

    def validate(self, extra_validators=None) -> bool:
        # A bare ?attendee=ID (the walk-in desk's link) means one attendee.
        attendee, scope = self.attendee, self.scope
        if attendee.data and attendee.data.strip() and not scope.raw_data:
            scope.data = "one"
        if not super().validate(extra_validators):
            return False
        if scope.data == "one" and not (attendee.data or "").strip():
            attendee.errors = [*attendee.errors, self.missing_attendee]
            return False
        return True


def layout_choices() -> list[SelectChoice]:
    return [SelectChoice(name, f"{name}: {layout.description}") for name, layout in LAYOUTS.items()]


class BadgeForm(_QueryForm):
    layout = SelectField("Sheet layout", choices=layout_choices(), default=DEFAULT_LAYOUT)
    crop_marks = BooleanField("Crop marks", description="Cut lines in the sheet margins.")
    scope = RadioField("Whose badges", default="all", choices=[
        SelectChoice("all", "All attendees (name order)"),
        SelectChoice("one", "One attendee"),
        SelectChoice("walk-ins", "Walk-ins added today"),
    ])
    attendee = StringField("Attendee id", validators=[Optional(), Length(max=64)],
                           description="The attendee's id from the attendee file (for one badge).")
    missing_attendee = "Give the id of the attendee whose badge to print."


class AgendaForm(_QueryForm):
    scope = RadioField("Whose agendas", default="all", id="agenda-scope", choices=[
        SelectChoice("all", "All attendees (name order)"),
        SelectChoice("one", "One attendee"),
    ])
    attendee = StringField("Attendee id", validators=[Optional(), Length(max=64)], id="agenda-attendee",
                           description="The attendee's id from the attendee file (for one agenda).")
    missing_attendee = "Give the id of the attendee whose agenda to print."
