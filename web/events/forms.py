"""Event form. Field-level checks live here; cross-field and database checks in services."""

from __future__ import annotations

import re
import zoneinfo
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    FloatField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from web.events.models import DEFAULT_RETENTION_DAYS

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
RESERVED_SLUGS = {"new", "static", "api", "console", "login", "logout", "me"}

# Scoring weights an organiser may override, with their labels. partner_type_fit (a table) and
# prefer_same_region (its own checkbox) are handled separately.
WEIGHT_FIELDS: dict[str, str] = {
    "offer_match": "Per competency offered and sought",
    "mutual_bonus": "Bonus when both sides help each other",
    "max_matches_counted": "Competency matches counted per direction (at most)",
    "region_bonus": "Region bonus",
    "competitor_penalty": "Penalty for likely competitors",
    "partner_type_default": "Partner-type fit not listed in the table",
    "must_meet_bonus": "Must-meet bonus",
    "wish_must_mutual": "Both marked each other Must",
    "wish_must": "One marked the other Must",
    "wish_want_mutual": "Both marked each other Want",
    "wish_want": "One marked the other Want",
}
INT_WEIGHTS = {"max_matches_counted"}


def validate_slug(_form: Any, field: Any) -> None:
    value = (field.data or "").strip()
    if not SLUG_RE.match(value):
        raise ValidationError(
            "Use 1 to 64 lower-case letters, digits and hyphens, not starting or ending with a hyphen."
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(f"'{value}' is reserved; choose another short name.")


def validate_timezone(_form: Any, field: Any) -> None:
    value = (field.data or "").strip()
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            f"'{value}' is not a known time zone; use an IANA name such as Europe/Amsterdam."
        ) from None


class EventForm(FlaskForm):
    slug = StringField("Short name (used in links)", validators=[DataRequired(), validate_slug],
                       description="For example partner-summit-2025. Lower-case letters, digits, hyphens.")
    name = StringField("Event name", validators=[DataRequired(), Length(max=200)])
    venue = StringField("Venue", validators=[Optional(), Length(max=200)])
    date = DateField("Date", validators=[DataRequired(message="Enter the date as YYYY-MM-DD.")])
    start_time = TimeField("Start of round 1 (local time)",
                           validators=[DataRequired(message="Enter a time as HH:MM.")])
    timezone = StringField("Time zone", validators=[DataRequired(), validate_timezone],
                           description="IANA name of the venue's zone, e.g. Europe/Amsterdam or Asia/Singapore.")
    rounds = IntegerField("Rounds", validators=[InputRequired(), NumberRange(min=1, max=100)])
    round_minutes = IntegerField("Minutes per round", validators=[InputRequired(), NumberRange(min=1, max=240)])
    changeover_minutes = IntegerField("Minutes between rounds",
                                      validators=[InputRequired(), NumberRange(min=0, max=120)])
    tables = IntegerField("Tables", validators=[InputRequired(), NumberRange(min=0, max=2000)],
                          description="0 = as many as needed (one per two attendees present).")
    table_labels = TextAreaField("Table labels", validators=[Optional(), Length(max=20000)],
                                 description="Optional: one label per line, table 1 first (e.g. A1, A2 …).")
    breaks = TextAreaField("Breaks", validators=[Optional(), Length(max=2000)],
                           description="One per line as 'after round: minutes', e.g. '4: 15'.")
    prefer_same_region = BooleanField("Prefer meetings within the same region",
                                      description="Off: the region bonus goes to pairs from different regions.")
    registration_open = BooleanField("Registration is open")
    registration_confirm = BooleanField(
        "Registrations must be confirmed by e-mail",
        description="Double opt-in: a registration counts once the link in its confirmation mail "
                    "is followed; until then the person appears nowhere. Unconfirmed ones expire.")
    privacy_notice = TextAreaField(
        "Privacy notice on the registration form", validators=[Optional(), Length(max=4000)],
        description="Who you are, how long you keep the registrations and anything else people must "
                    "know. Registrants agree to it; the exact text is stored with their consent.")
    privacy_contact = StringField("Privacy contact", validators=[Optional(), Length(max=254)],
                                  description="An address or a page for questions about their data.")
    name_order = SelectField("Sort people by", choices=[SelectChoice("family", "Family name (last word of the name)"),
                                                         SelectChoice("first", "First name (the name as written)")],
                             default="family",
                             description="Badges, agendas, the check-in list and the room display follow this order.")
    auto_revise = BooleanField("Revise and publish by itself at each changeover for the people who arrived since")
    company_repeats = SelectField(
        "Meetings with the same company",
        choices=[SelectChoice("soft", "At most one meeting with each other company, unless that costs a meeting "
                                      "or fairness"),
                 SelectChoice("hard", "Never two meetings with the same company"),
                 SelectChoice("off", "No rule")],
        default="soft",
        description="Partner networking is company to company: by default an attendee meets one person of each "
                    "other company.")
    meetings = SelectField(
        "Meetings",
        choices=[SelectChoice("fill", "Fill every round with the best pairs (speed networking)"),
                 SelectChoice("requested", "Requested meetings only (B2B matchmaking: the must-meet pairs)")],
        default="fill",
        description="Requested only: nobody meets anyone they did not ask for, and each person's day is as "
                    "compact as possible (fewest idle rounds between meetings).")
    break_spread = IntegerField("Most idle runs one person may have beyond another", default=2,
                                validators=[Optional(), NumberRange(min=0, max=20)],
                                description="Requested meetings only: the fairness limit on breaks (default 2).")
    retention_days = IntegerField(
        "Keep attendees' personal data for (days after the event)", default=DEFAULT_RETENTION_DAYS,
        validators=[Optional(), NumberRange(min=1, max=3650)],
        description="Afterwards names, addresses and details are erased; the counts stay.")
    wish_must_limit = IntegerField("“Must meet” wishes per attendee", default=3,
                                   validators=[Optional(), NumberRange(min=0, max=50)])
    wish_want_limit = IntegerField("“Want to meet” wishes per attendee", default=5,
                                   validators=[Optional(), NumberRange(min=0, max=50)])
    wishes_close = DateTimeLocalField("Wishes close at (local time)", validators=[Optional()],
                                      format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                      description="After this, nobody's wishes change. Empty: open until you set it.")
    confirm = BooleanField("Yes, change the settings anyway")
    competencies = TextAreaField("Competencies", validators=[Optional(), Length(max=20000)],
                                 description="One per line. Leave all three lists empty to use the default vocabulary.")
    regions = TextAreaField("Regions", validators=[Optional(), Length(max=5000)],
                            description="One per line.")
    partner_types = TextAreaField("Partner types", validators=[Optional(), Length(max=5000)],
                                  description="One per line.")
    submit = SubmitField("Save event")


# One number field per overridable weight, added to the class so templates can loop over them.
for _name, _label in WEIGHT_FIELDS.items():
    _field_cls = IntegerField if _name in INT_WEIGHTS else FloatField
    setattr(EventForm, f"weight_{_name}",
            _field_cls(_label, validators=[InputRequired(), NumberRange(min=-1000, max=1000)]))


class DeleteEventForm(FlaskForm):
    """Deleting cannot be undone, so the organiser types the event's slug, as a person must
    mean it (a stray click on a button is not enough)."""

    confirm = StringField("Type the event's short name to confirm", validators=[DataRequired()],
                          render_kw={"autocomplete": "off", "spellcheck": "false"})
    submit = SubmitField("Delete the event and its data")


_MEMBER_ROLES = [SelectChoice("organiser", "Organiser: everything of this event"),
                 SelectChoice("staff", "Check-in staff: the kiosk and desk only")]


class TeamAddForm(FlaskForm):
    """Add an existing account to an event's team (accounts are made by an administrator)."""

    email = StringField("E-mail address of the account", validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "off", "spellcheck": "false"})
    role = SelectField("Role in this event", choices=_MEMBER_ROLES, default="staff")
    submit = SubmitField("Add to the team")


class TeamRoleForm(FlaskForm):
    """A member's role in the event (the team page has one per member)."""

    role = SelectField("Role", choices=_MEMBER_ROLES)


class ConfirmRemovalForm(FlaskForm):
    """Only the CSRF token: removing a member is confirmed on its own page."""
