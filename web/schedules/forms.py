"""Schedule forms: generating a plan and bare confirm buttons (CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, FloatField, IntegerField, RadioField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange

from web.schedules.revisions import DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT, PlanMode


class GenerateForm(FlaskForm):
    time_limit = FloatField(
        "Time limit (seconds)", default=DEFAULT_TIME_LIMIT,
        validators=[InputRequired(), NumberRange(min=1, max=MAX_TIME_LIMIT)],
        description="The solver stops by then and keeps the best schedule found. "
                    "30 s suits most events; large events improve with more.")
    seed = IntegerField(
        "Seed", default=0, validators=[InputRequired(), NumberRange(min=0, max=2**31 - 1)],
        description="The same seed and attendees give the same schedule; another seed may "
                    "break ties differently.")
    mode = RadioField(
        "How to plan", default=PlanMode.REVISE,
        choices=[SelectChoice(PlanMode.REVISE, "Revise the published schedule: keep every published meeting the "
                                        "rules still allow, place the people who changed"),
                 SelectChoice(PlanMode.REGENERATE, "Re-generate from scratch: plan every open round again")],
        description="Only shown once a version is published. A revision changes as few agendas as "
                    "possible; a re-generate may change nearly everyone's.")
    confirm_regenerate = BooleanField("I understand that a re-generate can change every agenda listed above")
    submit = SubmitField("Generate schedule")


class PublishForm(FlaskForm):
    """Publish a draft; ``force`` accepts the warnings about what changed since it was computed."""

    force = BooleanField("Publish anyway: the people listed above are placed by the next revision")
    submit = SubmitField("Publish")


class ConfirmForm(FlaskForm):
    """CSRF-only POST form for publish and cancel buttons."""

    submit = SubmitField("Confirm")
