"""Event-day console forms (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import InputRequired, NumberRange, Optional

from web.liveday.clock import MAX_DELAY_MINUTES


class DelayForm(FlaskForm):
    minutes = IntegerField(
        "Delay by (minutes)",
        validators=[InputRequired(), NumberRange(min=-MAX_DELAY_MINUTES, max=MAX_DELAY_MINUTES)],
        description="Every round that has not started yet moves by this much. A negative "
                    "number takes back part of the current delay.",
    )


class ReplanForm(FlaskForm):
    from_round = IntegerField(
        "Re-plan from round",
        validators=[Optional(), NumberRange(min=1)],
        description="Rounds before this one stay exactly as they are. Leave empty for the next "
                    "round that has not started.",
    )
    leave_out_not_checked_in = BooleanField(
        "Also leave out people who have not checked in yet",
        description="Without this, people registered for rounds still to come keep their "
                    "meetings until their first round starts; with it, the plan is for the people "
                    "in the room only.",
    )
