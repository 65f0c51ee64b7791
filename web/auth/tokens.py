"""Console page for API tokens: every organiser makes and revokes their own tokens; admins also
make tokens for other accounts and revoke anyone's (each asked to be confirmed first).

A token acts as the account it belongs to, so a door scanner or kiosk program gets a token of a
check-in staff account: it can check people in and nothing else. A token can be narrowed
further: to one event (any other event's API answers 404) and to reading only (any write
answers 403). The plain token is shown once, in the answer to the POST that created it (never
stored, never put in the session cookie); the list shows owners, names, scope, creation and
last use only. Someone who is not an admin sees only their own tokens, and another account's
token or a choice of another account is 404 to them.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms import BooleanField, HiddenField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from web.auth import bp
from web.auth.decorators import organiser_required
from web.auth.models import ApiToken, User
from web.auth.services import create_api_token, list_accounts
from web.extensions import Model, db

NO_STORE = {"Cache-Control": "no-store"}
ANY_EVENT = 0  # the event choice meaning "not limited"


def event_choices(user: User) -> list[tuple[int, str]]:
    """The events a token of ``user`` may be limited to, as (id, name), by name: the events
    whose team ``user`` is in (a token reaches no other event anyway, and the list must not
    show other teams' events to anyone, admins included).

    The events and event_members tables are read by name: auth sits below the events feature
    and imports none of it.
    """
    events = Model.metadata.tables.get("events")
    members = Model.metadata.tables.get("event_members")
    if events is None or members is None:
        return []
    rows = db.session.execute(
        select(events.c.id, events.c.name, events.c.slug)
        .join(members, members.c.event_id == events.c.id)
        .where(members.c.user_id == user.id).order_by(events.c.name))
    return [(row.id, f"{row.name} ({row.slug})") for row in rows]


class TokenForm(FlaskForm):
    name = StringField("What the token is for", validators=[DataRequired(), Length(max=100)],
                       description="For example 'registration site sync' or 'door scanner 2'.")
    account = SelectField("Account", coerce=int,
                          description="The token acts as this account. Give scanners and kiosks "
                                      "a check-in staff account: its token can only check people in.")
    event = SelectField("Event", coerce=int,
                        description="Limit the token to one event: every other event is unknown to it.")
    read_only = BooleanField("Read only: the token can read but not change anything")
    confirmed = HiddenField()
    submit = SubmitField("Create token")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if current_user.is_admin:
            self.account.choices = [SelectChoice(u.id, f"{u.email} ({u.role})")
                                    for u in list_accounts() if u.active]
        else:
            self.account.choices = [SelectChoice(current_user.id, current_user.email)]
        if self.account.data is None:
            self.account.data = current_user.id
        self.event.choices = [SelectChoice(ANY_EVENT, "Any event the account may use"),
                              *(SelectChoice(i, name) for i, name in event_choices(current_user))]
        if self.event.data is None:
            self.event.data = ANY_EVENT


class RevokeForm(FlaskForm):
    confirmed = HiddenField()
    submit = SubmitField("Revoke")


def visible_tokens(viewer: User) -> list[ApiToken]:
    """The tokens ``viewer`` may see, with their owners, newest first: every token for an admin,
    else their own."""
    query = select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.created_at.desc())
    if not viewer.is_admin:
        query = query.where(ApiToken.user_id == viewer.id)
    return list(db.session.scalars(query))


def event_names(tokens: list[ApiToken]) -> dict[int, str]:
    wanted = {t.event_id for t in tokens if t.event_id is not None}
    return {i: name for i, name in event_choices(current_user) if i in wanted} if wanted else {}


def revoke_token(token_id: int) -> bool:
    """Delete a token; ``False`` if there is no such token (any more)."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return False
    db.session.delete(token)
    db.session.commit()
    return True


def _not_for_others(user_id: int) -> None:
    """Another account's tokens are not there for anyone but an admin."""
    if user_id != current_user.id and not current_user.is_admin:
        abort(404)


def _tokens_page(form: TokenForm, new_token: str | None = None, status: int = 200) -> ResponseReturnValue:
    tokens = visible_tokens(current_user)
    page = render_template("auth/api_tokens.html", form=form, new_token=new_token, tokens=tokens,
                           event_names=event_names(tokens), revoke_form=RevokeForm())
    return page, status, NO_STORE


@bp.route("/console/api-tokens", methods=["GET", "POST"])
@organiser_required
def api_tokens() -> ResponseReturnValue:
    if request.method == "POST" and request.form.get("account", "").isdecimal():
        _not_for_others(int(request.form["account"]))
    form = TokenForm()
    new_token = None
    if form.validate_on_submit():
        owner = db.session.get(User, form.account.data)
        assert owner is not None  # the choices are existing accounts
        event_id = form.event.data or None
        if owner.id != current_user.id and form.confirmed.data != "yes":
            scope = [f"It acts as {owner.email} ({owner.role})."]
            if event_id:
                scope.append(f"Limited to {dict(event_choices(current_user)).get(event_id, 'one event')}.")
            if form.read_only.data:
                scope.append("It can only read.")
            hidden = {"name": form.name.data, "account": str(owner.id), "event": str(form.event.data),
                      "confirmed": "yes", **({"read_only": "y"} if form.read_only.data else {})}
            return render_template("auth/confirm.html", account=owner, action=url_for("auth.api_tokens"),
                                   question=f"Make an API token for {owner.email}?", consequences=scope,
                                   hidden=hidden, danger=False, cancel=url_for("auth.api_tokens")), 200, NO_STORE
        new_token = create_api_token(owner, form.name.data.strip(), event_id=event_id,
                                     read_only=bool(form.read_only.data))
        form = TokenForm(formdata=None)
    return _tokens_page(form, new_token, 422 if form.errors else 200)


@bp.post("/console/api-tokens/<int:token_id>/revoke")
@organiser_required
def revoke_api_token(token_id: int) -> ResponseReturnValue:
    token = db.session.get(ApiToken, token_id)
    if token is not None:
        _not_for_others(token.user_id)
    form = RevokeForm()
    if form.validate_on_submit():
        if token is not None and token.user_id != current_user.id and form.confirmed.data != "yes":
            page = render_template(
                "auth/confirm.html", account=token.user, action=url_for("auth.revoke_api_token", token_id=token.id),
                question=f"Revoke the token '{token.name}' of {token.user.email}?",
                consequences=["Programs using it are refused from their next request on."],
                hidden={"confirmed": "yes"}, danger=True, cancel=url_for("auth.api_tokens"))
            return page, 200, NO_STORE
        if revoke_token(token_id):
            flash("Token revoked: programs using it are refused from their next request on.", "success")
        else:
            flash("That token does not exist (any more).", "info")
    return redirect(url_for("auth.api_tokens"))
