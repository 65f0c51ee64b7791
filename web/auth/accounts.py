"""Console pages for accounts: organisers add check-in staff and other organisers, reset
passwords, deactivate accounts; everyone changes their own password.

On an event morning a volunteer joins the desk or a phone goes missing: this must take a
minute in the browser, not a shell on the server. A generated password is shown once, in the
answer to the POST that made it (never stored in plain, never put in the session cookie).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user
from flask_login.config import COOKIE_NAME
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, PasswordField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from web.auth import bp
from web.auth.decorators import organiser_required
from web.auth.models import ROLE_ORGANISER, ROLE_STAFF, User
from web.auth.services import (
    MIN_PASSWORD_LENGTH,
    AccountError,
    change_password,
    create_user,
    generate_password,
    list_accounts,
    reset_password,
    set_active,
    set_role,
)
from web.extensions import db

ROLE_NAMES: dict[str, str] = {ROLE_STAFF: "Check-in staff", ROLE_ORGANISER: "Organiser"}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_NAMES.items()]
NO_STORE = {"Cache-Control": "no-store"}  # pages that may show a password


class NewAccountForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=ROLE_STAFF,
                       description="Check-in staff can only use the check-in pages.")
    password = PasswordField("Password", validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"},
                             description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave empty "
                                         "to generate one, shown once to hand over.")
    submit = SubmitField("Add account")


class AccountActionForm(FlaskForm):
    """The reset, deactivate and reactivate buttons beside each account: a CSRF token only."""


class RoleForm(FlaskForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class PasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=200)],
                            render_kw={"autocomplete": "current-password"})
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)],
                        render_kw={"autocomplete": "new-password"},
                        description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Change password")


def _accounts_page(form: NewAccountForm, *, handed_over: tuple[User, str] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    page = render_template("auth/accounts.html", form=form, accounts=list_accounts(),
                           handed_over=handed_over, role_names=ROLE_NAMES)
    return page, status, NO_STORE


def _show_beside(error: AccountError, fields: dict[str, Field]) -> None:
    """Put a service's complaint next to the input it is about."""
    target = fields.get(error.field or "") or next(iter(fields.values()))
    target.errors = [*target.errors, str(error)]


def _account_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


@bp.route("/console/accounts", methods=["GET", "POST"])
@organiser_required
def accounts() -> ResponseReturnValue:
    form = NewAccountForm()
    if form.validate_on_submit():
        typed = form.password.data or ""
        password = typed or generate_password()
        try:
            user = create_user(form.email.data or "", password, form.role.data)
        except AccountError as exc:
            _show_beside(exc, {"email": form.email, "role": form.role, "password": form.password})
        else:
            flash(f"Account added: {user.email} ({ROLE_NAMES[user.role]}).", "success")
            return _accounts_page(NewAccountForm(formdata=None),
                                  handed_over=None if typed else (user, password))
    return _accounts_page(form, status=422 if form.errors else 200)


@bp.post("/console/accounts/<int:user_id>/reset-password")
@organiser_required
def reset_account_password(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    if not AccountActionForm().validate_on_submit():
        return redirect(url_for("auth.accounts"))
    try:
        password = reset_password(current_user, user)
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.accounts"))
    flash(f"New password for {user.email}: anyone signed in with the old one is signed out.", "success")
    return _accounts_page(NewAccountForm(formdata=None), handed_over=(user, password))


@bp.post("/console/accounts/<int:user_id>/deactivate")
@organiser_required
def deactivate_account(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, active=False)


@bp.post("/console/accounts/<int:user_id>/reactivate")
@organiser_required
def reactivate_account(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    if AccountActionForm().validate_on_submit():
        try:
            set_active(current_user, user, active)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.email} can sign in again." if user.active else
                  f"{user.email} is deactivated: signed out everywhere, API tokens refused.", "success")
    return redirect(url_for("auth.accounts"))


@bp.post("/console/accounts/<int:user_id>/role")
@organiser_required
def change_account_role(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            set_role(current_user, user, form.role.data)
        except AccountError as exc:
            flash(str(exc), "error")
        else:
            flash(f"{user.email} is now {ROLE_NAMES[user.role].lower()}.", "success")
    return redirect(url_for("auth.accounts"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            change_password(current_user, form.current.data or "", form.new.data or "")
        except AccountError as exc:
            _show_beside(exc, {"current_password": form.current, "password": form.new})
        else:
            # Other sessions end with the old password; this one starts afresh with the new.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME) in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash("Password changed. Other devices signed in to this account are signed out.", "success")
            return redirect(url_for("index"))
    return render_template("auth/password.html", form=form), 422 if form.errors else 200
