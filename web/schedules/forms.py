"""Schedule forms: generating a plan and bare confirm buttons (CSRF only)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange

from web.schedules.services import DEFAULT_TIME_LIMIT, MAX_TIME_LIMIT


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
    submit = SubmitField("Generate schedule")


class ConfirmForm(FlaskForm):
    """CSRF-only POST form for publish and cancel buttons."""

    submit = SubmitField("Confirm")
