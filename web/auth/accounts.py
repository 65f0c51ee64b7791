"""Console pages for accounts: admins add check-in staff and other organisers, reset passwords,
change roles and the admin flag, deactivate accounts; everyone changes their own password.

On an event morning a volunteer joins the desk or a phone goes missing: this must take a
minute in the browser, not a shell on the server. Nobody but the person ever sees their
password: a new account without a typed password, and every reset, gets a one-time link
(shown once to the admin, who hands it over) at which the person chooses it. Every change to
someone else's account is asked to be confirmed first, saying what it ends.

Only admins reach these pages; anyone else gets 404 (see :func:`admin_required`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user
from flask_login.config import COOKIE_NAME
from flask_wtf import FlaskForm
from wtforms import EmailField, Field, HiddenField, PasswordField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from web.auth import bp
from web.auth.decorators import admin_required
from web.auth.models import ROLE_ORGANISER, ROLE_STAFF, User
from web.auth.services import (
    MIN_PASSWORD_LENGTH,
    RESET_LINK_LIFETIME,
    AccountError,
    change_password,
    complete_password_reset,
    create_user,
    list_accounts,
    reset_for_link,
    set_active,
    set_admin,
    set_role,
    start_password_reset,
    tokens_revoked_by_reset,
    unusable_password,
)
from web.extensions import db

ROLE_NAMES: dict[str, str] = {ROLE_STAFF: "Check-in staff", ROLE_ORGANISER: "Organiser"}
ROLE_CHOICES = [SelectChoice(value, label) for value, label in ROLE_NAMES.items()]
NO_STORE = {"Cache-Control": "no-store"}  # pages that show a one-time link
# The reset link carries its token in the path: the page must not leak it to other sites.
LINK_PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class NewAccountForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=ROLE_STAFF,
                       description="Check-in staff can only use the check-in pages.")
    password = PasswordField("Password", validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"},
                             description=f"At least {MIN_PASSWORD_LENGTH} characters. Leave empty to "
                                         "get a one-time link at which the person sets their own.")
    submit = SubmitField("Add account")


class AccountActionForm(FlaskForm):
    """A change to someone's account: sent once from the list (shows the confirmation page),
    then again with ``confirmed`` from that page (does it)."""

    confirmed = HiddenField()

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed.data == "yes"


class RoleForm(AccountActionForm):
    role = SelectField("Role", choices=ROLE_CHOICES)


class AdminFlagForm(AccountActionForm):
    admin = SelectField("Admin", choices=[SelectChoice("yes", "Admin"), SelectChoice("no", "Not admin")])


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


class ResetPasswordForm(FlaskForm):
    new = PasswordField("New password", validators=[DataRequired(), Length(max=200)],
                        render_kw={"autocomplete": "new-password"},
                        description=f"At least {MIN_PASSWORD_LENGTH} characters.")
    confirm = PasswordField("New password again",
                            validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")],
                            render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Set password")


def _accounts_page(form: NewAccountForm, *, link_for: tuple[User, str] | None = None,
                   status: int = 200) -> ResponseReturnValue:
    """The list; ``link_for`` = (account, plain token) shows that account's one-time link once."""
    link = url_for("auth.reset_with_link", token=link_for[1], _external=True) if link_for else None
    page = render_template("auth/accounts.html", form=form, accounts=list_accounts(),
                           link_user=link_for[0] if link_for else None, link=link,
                           link_hours=int(RESET_LINK_LIFETIME.total_seconds() // 3600),
                           role_names=ROLE_NAMES)
    return page, status, NO_STORE


def _show_beside(error: AccountError, fields: dict[str, Field]) -> None:
    """Put a service's complaint next to the input it is about."""
    target = fields.get(error.field or "") or next(iter(fields.values()))
    target.errors = [*target.errors, str(error)]


def _account_or_404(user_id: int) -> User:
    return db.session.get(User, user_id) or abort(404)


def _confirm_page(user: User, action: str, question: str, consequences: list[str],
                  hidden: dict[str, str] | None = None, danger: bool = True) -> ResponseReturnValue:
    """Ask before changing someone else's account: what it does, what it ends."""
    page = render_template("auth/confirm.html", account=user, action=action, question=question,
                           consequences=consequences, hidden={**(hidden or {}), "confirmed": "yes"},
                           danger=danger)
    return page, 200, NO_STORE


@bp.route("/console/accounts", methods=["GET", "POST"])
@admin_required
def accounts() -> ResponseReturnValue:
    form = NewAccountForm()
    if form.validate_on_submit():
        typed = form.password.data or ""
        try:
            user = create_user(form.email.data or "", typed or unusable_password(), form.role.data)
            link = None if typed else start_password_reset(current_user, user)
        except AccountError as exc:
            _show_beside(exc, {"email": form.email, "role": form.role, "password": form.password})
        else:
            flash(f"Account added: {user.email} ({ROLE_NAMES[user.role]}).", "success")
            return _accounts_page(NewAccountForm(formdata=None), link_for=(user, link) if link else None)
    return _accounts_page(form, status=422 if form.errors else 200)


@bp.post("/console/accounts/<int:user_id>/reset-password")
@admin_required
def reset_account_password(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    form = AccountActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.accounts"))
    if not form.is_confirmed:
        tokens = tokens_revoked_by_reset(user)
        return _confirm_page(user, url_for("auth.reset_account_password", user_id=user.id),
                             f"Reset the password of {user.email}?", [
                                 "Their current password stops working and every device signed in "
                                 "with it is signed out, now.",
                                 f"Their {tokens} API token(s) are revoked, now.",
                                 "You get a one-time link to hand over; they choose a new password "
                                 "there. You never see it.",
                             ])
    try:
        plain = start_password_reset(current_user, user)
    except AccountError as exc:
        flash(str(exc), "error")
        return redirect(url_for("auth.accounts"))
    flash(f"{user.email} is signed out everywhere and their API tokens are revoked.", "success")
    return _accounts_page(NewAccountForm(formdata=None), link_for=(user, plain))


@bp.post("/console/accounts/<int:user_id>/deactivate")
@admin_required
def deactivate_account(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, active=False)


@bp.post("/console/accounts/<int:user_id>/reactivate")
@admin_required
def reactivate_account(user_id: int) -> ResponseReturnValue:
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    form = AccountActionForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.accounts"))
    if not form.is_confirmed:
        if active:
            return _confirm_page(user, url_for("auth.reactivate_account", user_id=user.id),
                                 f"Reactivate {user.email}?",
                                 ["They can sign in again with their password."], danger=False)
        return _confirm_page(user, url_for("auth.deactivate_account", user_id=user.id),
                             f"Deactivate {user.email}?", [
                                 "They are signed out everywhere and cannot sign in.",
                                 f"Their {tokens_revoked_by_reset(user)} API token(s) are revoked.",
                                 "Their check-ins keep their name.",
                             ])
    try:
        set_active(current_user, user, active)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{user.email} can sign in again." if user.active else
              f"{user.email} is deactivated: signed out everywhere, API tokens revoked.", "success")
    return redirect(url_for("auth.accounts"))


@bp.post("/console/accounts/<int:user_id>/role")
@admin_required
def change_account_role(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.accounts"))
    if not form.is_confirmed:
        name = ROLE_NAMES[form.role.data].lower()
        return _confirm_page(user, url_for("auth.change_account_role", user_id=user.id),
                             f"Make {user.email} {name}?",
                             ["It takes effect on their next request, on every device."],
                             hidden={"role": form.role.data})
    try:
        set_role(current_user, user, form.role.data)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{user.email} is now {ROLE_NAMES[user.role].lower()}.", "success")
    return redirect(url_for("auth.accounts"))


@bp.post("/console/accounts/<int:user_id>/admin")
@admin_required
def change_account_admin(user_id: int) -> ResponseReturnValue:
    user = _account_or_404(user_id)
    form = AdminFlagForm()
    if not form.validate_on_submit():
        return redirect(url_for("auth.accounts"))
    admin = form.admin.data == "yes"
    if not form.is_confirmed:
        question = f"Make {user.email} an admin?" if admin else f"Take the admin flag from {user.email}?"
        effect = ("They can add accounts, reset passwords, change roles and make API tokens for "
                  "anyone." if admin else "They keep their role and their own password and tokens.")
        return _confirm_page(user, url_for("auth.change_account_admin", user_id=user.id), question,
                             [effect], hidden={"admin": form.admin.data})
    try:
        set_admin(current_user, user, admin)
    except AccountError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{user.email} is {'now an admin' if user.is_admin else 'no longer an admin'}.", "success")
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


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_with_link(token: str) -> ResponseReturnValue:
    """The one-time link an admin handed over: the person sets their own password (no sign-in:
    the link is the credential, so it works once and expires). A spent, expired or unknown
    link is 404."""
    reset = reset_for_link(token)
    if reset is None:
        abort(404)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = complete_password_reset(token, form.new.data or "")
        except AccountError as exc:
            if reset_for_link(token) is None:
                abort(404)
            _show_beside(exc, {"password": form.new})
        else:
            flash(f"Password set for {user.email}: sign in with it now.", "success")
            return redirect(url_for("auth.login"))
    page = render_template("auth/reset.html", form=form, email=reset.user.email)
    return page, 422 if form.errors else 200, LINK_PAGE_HEADERS



