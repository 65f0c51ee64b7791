"""The registration form, built per event from its taxonomy and timetable."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from scheduler.addresses import AddressError, normalise_address
from scheduler.domain import Taxonomy, Timetable

# The consent sentence under the privacy notice (stored with each consent, see
# web.public.registration.PrivacyNotice).
CONSENT_LABEL = "I have read the privacy notice above and agree to it."


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of labelled checkboxes (no JavaScript needed)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def plain_address(form: Any, field: Any) -> None:
    """One plain ``local@domain`` (:func:`scheduler.addresses.parse_address`): no name, no
    second address, no encoded words; the field then holds the address as stored."""
    if not field.data:
        return
    try:
        field.data = normalise_address(field.data)
    except AddressError as exc:
        raise ValidationError(f"Enter one e-mail address such as ana@example.com ({exc}).") from exc


class RegistrationForm(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
            if unbound_field.field_class in (StringField, EmailField):
                options["filters"] = (*options.get("filters", ()), _strip)
            return unbound_field.bind(form=form, **options)

    name = StringField("Full name", validators=[DataRequired(), Length(max=200)],
                       render_kw={"autocomplete": "name"})
    email = EmailField("Email", validators=[DataRequired(), Length(max=254), plain_address],
                       render_kw={"autocomplete": "email"},
                       description="Only the organisers see it.")
    company = StringField("Company", validators=[DataRequired(), Length(max=200)],
                          render_kw={"autocomplete": "organization"})
    title = StringField("Job title", validators=[Optional(), Length(max=200)],
                        render_kw={"autocomplete": "organization-title"})
    region = SelectField("Region", validators=[DataRequired(message="Choose your region.")])
    country = StringField("Country", validators=[Optional(), Length(max=100)],
                          render_kw={"autocomplete": "country-name"})
    partner_type = SelectField("Partner type", validators=[DataRequired(message="Choose your partner type.")])
    offers = CheckboxListField("What your company offers")
    seeks = CheckboxListField("What you are looking for")
    all_rounds = BooleanField("I can attend every round", default=True)
    rounds = CheckboxListField("Otherwise, the rounds I can attend", coerce=int)
    consent = BooleanField(CONSENT_LABEL, validators=[
        DataRequired(message="Tick to agree to the privacy notice; without it we cannot register you.")])
    submit = SubmitField("Register")

    def validate_offers(self, field: Any) -> None:
        if not field.data:
            raise ValidationError("Tick at least one thing your company offers.")

    def validate_rounds(self, field: Any) -> None:
        if not self.all_rounds.data and not field.data:
            raise ValidationError("Tick the rounds you can attend, or tick 'I can attend every round'.")


def registration_form(taxonomy: Taxonomy, timetable: Timetable, **kwargs: Any) -> RegistrationForm:
    """A form whose choices are the event's vocabulary and rounds (with their local start)."""
    form = RegistrationForm(**kwargs)
    form.region.choices = [SelectChoice("", "Choose…")] + [SelectChoice(r, r) for r in taxonomy.regions]
    form.partner_type.choices = ([SelectChoice("", "Choose…")]
                                 + [SelectChoice(p, p) for p in taxonomy.partner_types])
    form.offers.choices = [SelectChoice(c, c) for c in taxonomy.competencies]
    form.seeks.choices = [SelectChoice(c, c) for c in taxonomy.competencies]
    form.rounds.choices = [
        SelectChoice(number, f"Round {number}, {start:%H:%M}–{end:%H:%M}") for number, start, end in timetable.slots()
    ]
    return form


class LinkRecoveryForm(FlaskForm):
    """"Send me my link again": only an address; the answer never says whether it is known."""

    email = EmailField("Your e-mail address", filters=[_strip],
                       validators=[DataRequired(message="Enter the address you registered with."),
                                   Length(max=254), plain_address],
                       render_kw={"autocomplete": "email"},
                       description="The one you registered with, or the one the organisers have.")
    submit = SubmitField("Send me my link")


class ConfirmRegistrationForm(FlaskForm):
    """The double opt-in page's button (CSRF only)."""

    submit = SubmitField("Confirm my registration")
