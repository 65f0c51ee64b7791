"""Check-in forms. Every one carries the CSRF token; content checks for walk-ins are the
importer's (see :func:`web.checkin.desk.register_walk_in`)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from web.checkin.services import NONCE_RE

NONCE_VALIDATORS = [DataRequired(), Regexp(NONCE_RE, message="Reload the page and try again.")]


class ScanForm(FlaskForm):
    """The scanner field: USB/Bluetooth scanners type the code and press Enter."""

    code = StringField("Scan a badge or type its code", validators=[Length(max=2000)],
                       render_kw={"autocomplete": "off", "autocapitalize": "off",
                                  "spellcheck": "false", "autofocus": True})
    nonce = HiddenField(validators=NONCE_VALIDATORS)
    submit = SubmitField("Check in")


class CheckInPersonForm(FlaskForm):
    """The "Check in" button next to a search result."""

    nonce = HiddenField(validators=NONCE_VALIDATORS)
    submit = SubmitField("Check in")


class ConfirmForm(FlaskForm):
    """A bare POST form (CSRF only): undo a check-in."""

    submit = SubmitField("Undo")


class DeviceForm(FlaskForm):
    device = StringField("Name of this kiosk", validators=[DataRequired(), Length(max=40)],
                         description="Shown with every check-in made here, e.g. 'Desk 2' or "
                                     "'Entrance tablet'. Stored on this device only.")
    submit = SubmitField("Use this name")


class WalkInForm(FlaskForm):
    name = StringField("Name", validators=[Length(max=200)])
    company = StringField("Company", validators=[Length(max=200)])
    region = SelectField("Region", choices=[], validate_choice=True)
    partner_type = SelectField("Partner type", choices=[], validate_choice=True)
    offers = StringField("Offers", validators=[Length(max=2000)],
                         description="Competencies separated by ';'.")
    seeks = StringField("Seeks", validators=[Optional(), Length(max=2000)],
                        description="Competencies separated by ';'.")
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)])
    nonce = HiddenField(validators=NONCE_VALIDATORS)
    submit = SubmitField("Register and check in")

    def set_choices(self, regions: tuple[str, ...], partner_types: tuple[str, ...]) -> None:
        self.region.choices = [SelectChoice("", "Choose a region")] + [SelectChoice(r, r) for r in regions]
        self.partner_type.choices = ([SelectChoice("", "Choose a partner type")]
                                     + [SelectChoice(p, p) for p in partner_types])

    def cells(self) -> dict[str, str]:
        """The form as the importer's row cells (the id is assigned by the service)."""
        return {name: (getattr(self, name).data or "").strip()
                for name in ("name", "company", "region", "partner_type", "offers", "seeks", "email")}
