"""Forms of the directory: the opt-in on the personal page and one wish."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import AnyOf, Length, Optional

from web.attendees.models import LOOKING_FOR_MAX
from web.attendees.wishes import WishLevel

#: The wish form's "take it back" value beside the levels.
CLEAR = "clear"


class ListingForm(FlaskForm):
    """Whether the attendee is in the directory, with their one line (unticked until they tick)."""

    listed = BooleanField("List me in the event's directory",
                          description="Other attendees of this event see your name, company, partner type, "
                                      "region, what you offer and seek, and the line below. Untick to leave "
                                      "at once.")
    looking_for = StringField("What I am looking for", validators=[Optional(), Length(max=LOOKING_FOR_MAX)],
                              description=f"One line, at most {LOOKING_FOR_MAX} characters.",
                              render_kw={"maxlength": LOOKING_FOR_MAX, "autocomplete": "off"})
    submit = SubmitField("Save")


class WishForm(FlaskForm):
    """One tap on a person: Must, Want, No, or take the wish back. The filters ride along so
    the directory comes back as it was."""

    level = HiddenField(validators=[AnyOf([*(str(level) for level in WishLevel), CLEAR])])
    competency = HiddenField()
    partner_type = HiddenField()
    region = HiddenField()
    q = HiddenField()
