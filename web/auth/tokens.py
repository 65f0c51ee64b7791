"""Console page for API tokens: organisers create tokens for any active account and revoke any
token.

A token acts as the account it belongs to, so a door scanner or kiosk program gets a token of a
check-in staff account: it can check people in and nothing else. The plain token is shown
once, in the answer to the POST that created it (never stored, never put in the session
cookie); the list shows owners, names, creation and last use only.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from web.auth import bp
from web.auth.decorators import organiser_required
from web.auth.models import ApiToken, User
from web.auth.services import create_api_token, list_accounts
from web.extensions import db
from web.lookup_cache import LOOKUP_SECONDS


class TokenForm(FlaskForm):
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)],
                       description="For example 'registration site sync' or 'door scanner 2'.")
    account = SelectField("Account", coerce=int,
                          description="The token acts as this account. Give scanners and kiosks "
                                      "a check-in staff account: its token can only check people in.")
    submit = SubmitField("Create token")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account.choices = [SelectChoice(u.id, f"{u.email} ({u.role})")
                                for u in list_accounts() if u.active]
        if self.account.data is None:
            self.account.data = current_user.id


class RevokeForm(FlaskForm):
    submit = SubmitField("Revoke")


def all_tokens() -> list[ApiToken]:
    """Every token with its owner, newest first."""
    return list(db.session.scalars(
        select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.created_at.desc())
    ))


def revoke_token(token_id: int) -> bool:
    """Delete a token; ``False`` if there is no such token (any more)."""
    token = db.session.get(ApiToken, token_id)
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
        owner = db.session.get(User, form.account.data)
        assert owner is not None  # the choices are existing accounts
        new_token = create_api_token(owner, form.name.data.strip())
        form = TokenForm(formdata=None)
    status = 422 if form.errors else 200
    response = render_template("auth/api_tokens.html", form=form, new_token=new_token,
                               tokens=all_tokens(), revoke_form=RevokeForm())
    return response, status, {"Cache-Control": "no-store"}


@bp.post("/console/api-tokens/<int:token_id>/revoke")
@organiser_required
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    if RevokeForm().validate_on_submit():
        if revoke_token(token_id):
            flash(f"Token revoked: programs using it lose access to the API within "
                  f"{LOOKUP_SECONDS:g} seconds.", "success")
        else:
            flash("That token does not exist (any more).", "info")
    return redirect(url_for("auth.api_tokens"))
