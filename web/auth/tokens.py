"""Console page for API tokens: an organiser creates and revokes their own tokens.

The plain token is shown once, in the answer to the POST that created it (never stored, never
put in the session cookie); the list shows names, creation and last use only.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from web.auth import bp
from web.auth.decorators import organiser_required
from web.auth.models import ApiToken
from web.auth.services import create_api_token
from web.extensions import db
from web.lookup_cache import LOOKUP_SECONDS


class TokenForm(FlaskForm):
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)],
                       description="For example 'registration site sync' or 'badge printer'.")
    submit = SubmitField("Create token")


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def user_tokens(user) -> list[ApiToken]:  # type: ignore[no-untyped-def]
    return list(db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc())
    ))


def revoke_token(user, token_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Delete one of ``user``'s tokens; ``False`` if they own no such token."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id))
    if token is None:
        return False
    db.session.delete(token)
    db.session.commit()
    return True


@bp.route("/console/api-tokens", methods=["GET", "POST"])
@organiser_required
def api_tokens() -> ResponseReturnValue:
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        new_token = create_api_token(current_user, form.name.data.strip())
        form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    response = render_template("auth/api_tokens.html", form=form, new_token=new_token,
                               tokens=user_tokens(current_user), revoke_form=RevokeForm())
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/console/api-tokens/<int:token_id>/revoke")
@organiser_required
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    if RevokeForm().validate_on_submit():
        if revoke_token(current_user, token_id):
            flash(f"Token revoked: programs using it lose access to the API within "
                  f"{LOOKUP_SECONDS:g} seconds.", "success")
        else:
            flash("That token does not exist (any more).", "info")
    return redirect(url_for("auth.api_tokens"))
