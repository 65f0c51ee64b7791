"""Attendee forms. Content checks are the importer's (see services.validate_row); these forms
only bound lengths and carry the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length, Optional

# Form field -> importer column (the form cannot have a field called "id").
FIELD_COLUMNS = {
    "ext_id": "id", "name": "name", "email": "email", "company": "company", "title": "title",
    "region": "region", "country": "country", "partner_type": "partner_type",
    "offers": "offers", "seeks": "seeks", "available_rounds": "available_rounds",
    "must_meet": "must_meet", "avoid": "avoid",
}


class AttendeeForm(FlaskForm):
    ext_id = StringField("ID", validators=[Length(max=64)],
                         description="The id used in the attendee file; must be unique in this event.")
    name = StringField("Name", validators=[Length(max=200)])
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    company = StringField("Company", validators=[Length(max=200)])
    title = StringField("Job title", validators=[Optional(), Length(max=200)])
    region = StringField("Region", validators=[Length(max=64)])
    country = StringField("Country", validators=[Optional(), Length(max=100)])
    partner_type = StringField("Partner type", validators=[Length(max=100)])
    offers = TextAreaField("Offers", validators=[Length(max=2000)],
                           description="Competencies separated by ';'.")
    seeks = TextAreaField("Seeks", validators=[Optional(), Length(max=2000)],
                          description="Competencies separated by ';'.")
    available_rounds = StringField("Available rounds", validators=[Optional(), Length(max=200)],
                                   description="Empty = the whole session; otherwise e.g. 1-4;7-10.")
    must_meet = StringField("Must meet (ids)", validators=[Optional(), Length(max=2000)],
                            description="Ids of attendees separated by ';'.")
    avoid = StringField("Avoid (ids)", validators=[Optional(), Length(max=2000)],
                        description="Ids of attendees separated by ';'.")
    submit = SubmitField("Save attendee")

    def cells(self) -> dict[str, str]:
        """The form as the importer's row cells."""
        return {column: (getattr(self, name).data or "").strip() for name, column in FIELD_COLUMNS.items()}

    @classmethod
    def data_from_cells(cls, cells: dict[str, str]) -> dict[str, str]:
        return {name: cells.get(column, "") for name, column in FIELD_COLUMNS.items()}


class ImportForm(FlaskForm):
    file = FileField("Attendee file (CSV or XLSX)", validators=[
        FileRequired("Choose a file to import."),
        FileAllowed(["csv", "xlsx"], "Only .csv and .xlsx files can be imported."),
    ])
    remove_missing = BooleanField("Remove attendees missing from the file",
                                  description="Attendees who are checked in or in a stored schedule are always kept.")
    submit = SubmitField("Check file")


class ConfirmForm(FlaskForm):
    """A bare POST form (CSRF only) for confirm buttons: commit import, remove attendee."""

    submit = SubmitField("Confirm")
