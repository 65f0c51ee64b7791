"""Check-in forms. Every one carries the CSRF token; content checks for walk-ins are the
importer's (see :func:`web.checkin.desk.register_walk_in`)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from web.checkin.services import NONCE_RE

if TYPE_CHECKING:
    from scheduler.domain import Taxonomy
    from web.attendees.models import Attendee

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


class Availability(StrEnum):
    """The walk-in form's two answers to "which rounds can they attend"."""

    FROM_NOW = "from-now"
    CHOSEN = "chosen"


class CheckboxListField(SelectMultipleField):
    """Several choices as labelled checkboxes (large enough to tap on a desk tablet). Give
    ``invalid_choice_message`` (with ``%(value)s``) for values that are not choices."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


OTHER_HINT = ("Only when nothing in the list fits; separate several with ';'. Kept as typed and "
              "flagged for the organisers.")
NOT_A_COMPETENCY = "'%(value)s' is not in the list: tick one of the list, or type it under 'Other'."


class WalkInDetailsForm(FlaskForm):
    """What the desk asks of a walk-in, in the event's own vocabulary (the taxonomy and the
    rounds still to come). Registering and correcting a walk-in use the same fields."""

    name = StringField("Name", validators=[Length(max=200)], render_kw={"autocomplete": "off"})
    company = StringField("Company", validators=[Length(max=200)], render_kw={"autocomplete": "off"})
    region = SelectField("Region", choices=[], validate_choice=True)
    partner_type = SelectField("Partner type", choices=[], validate_choice=True)
    offers = CheckboxListField("Offers", invalid_choice_message=NOT_A_COMPETENCY)
    offers_other = StringField("Other offers (not in the list)", validators=[Length(max=1000)],
                               description=OTHER_HINT, render_kw={"autocomplete": "off"})
    seeks = CheckboxListField("Seeks", invalid_choice_message=NOT_A_COMPETENCY)
    seeks_other = StringField("Other seeks (not in the list)", validators=[Length(max=1000)],
                              description=OTHER_HINT, render_kw={"autocomplete": "off"})
    email = EmailField("Email (optional)", validators=[Optional(), Length(max=254)],
                       render_kw={"autocomplete": "off"})
    availability = RadioField("Rounds", choices=[], default=Availability.FROM_NOW,
                              validate_choice=True)
    rounds = CheckboxListField("Only these rounds", coerce=int,
                               invalid_choice_message="Round %(value)s has started or does not exist; tick a round still to come.")

    def set_choices(self, taxonomy: Taxonomy, open_rounds: Sequence[tuple[int, str]]) -> None:
        """The event's vocabulary and the rounds still to come (``(number, "14:20")``)."""
        self.region.choices = [SelectChoice("", "Choose a region")] + [SelectChoice(r, r) for r in taxonomy.regions]
        self.partner_type.choices = ([SelectChoice("", "Choose a partner type")]
                                     + [SelectChoice(p, p) for p in taxonomy.partner_types])
        self.offers.choices = [SelectChoice(c, c) for c in taxonomy.competencies]
        self.seeks.choices = [SelectChoice(c, c) for c in taxonomy.competencies]
        if open_rounds:
            first, last = open_rounds[0][0], open_rounds[-1][0]
            span = f"round {first}" if first == last else f"rounds {first}–{last}"
            from_now = f"All rounds from now ({span})"
        else:
            from_now = "All rounds from now (every round has started)"
        self.availability.choices = [SelectChoice(Availability.FROM_NOW, from_now),
                                     SelectChoice(Availability.CHOSEN, "Only the rounds ticked below")]
        self.rounds.choices = [SelectChoice(number, f"Round {number}, {start}") for number, start in open_rounds]

    def validate_offers(self, field: Any) -> None:
        if not field.data and not (self.offers_other.data or "").strip():
            raise ValidationError("Tick at least one thing the company offers, or type it under 'Other'.")

    def validate_rounds(self, field: Any) -> None:
        if self.availability.data == Availability.CHOSEN and not field.data:
            raise ValidationError("Tick the rounds they can attend, or choose all rounds from now.")

    def chosen_rounds(self) -> list[int] | None:
        """The rounds ticked, or ``None`` for "all rounds from now"."""
        if self.availability.data == Availability.CHOSEN:
            return sorted(set(self.rounds.data or ()))
        return None

    def cells(self) -> dict[str, str]:
        """The form as the importer's row cells (the id and the rounds are the service's).

        Ticked competencies come first, then the "Other" ones as typed: the importer keeps
        those with a warning, and :meth:`web.attendees.models.Attendee.unlisted` flags them.
        """
        cells = {name: (getattr(self, name).data or "").strip()
                 for name in ("name", "company", "region", "partner_type", "email")}
        for side in ("offers", "seeks"):
            ticked = list(getattr(self, side).data or ())
            other = (getattr(self, f"{side}_other").data or "").replace(",", ";").split(";")
            cells[side] = "; ".join([*ticked, *(o.strip() for o in other if o.strip())])
        return cells

    @staticmethod
    def data_from(row: Attendee, taxonomy: Taxonomy) -> dict[str, Any]:
        """The form's values for a stored walk-in: listed competencies ticked, the rest
        under "Other" (availability is the route's, from the clock)."""
        listed = set(taxonomy.competencies)
        data: dict[str, Any] = {"name": row.name, "company": row.company, "region": row.region,
                                "partner_type": row.partner_type, "email": row.email}
        for side in ("offers", "seeks"):
            values = list(getattr(row, side) or ())
            data[side] = [v for v in values if v in listed]
            data[f"{side}_other"] = "; ".join(v for v in values if v not in listed)
        return data


class WalkInForm(WalkInDetailsForm):
    """Register a walk-in and check them in (the nonce makes a form sent twice one person)."""

    nonce = HiddenField(validators=NONCE_VALIDATORS)
    submit = SubmitField("Register and check in")


class WalkInEditForm(WalkInDetailsForm):
    """Correct a walk-in's details at the desk."""

    submit = SubmitField("Save corrections")
