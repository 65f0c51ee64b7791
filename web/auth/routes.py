"""Sign-in and sign-out views (thin: the checks live in :mod:`web.auth.services`)."""

from __future__ import annotations

import hmac
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_user, logout_user

from web.auth import bp
from web.auth.forms import LoginForm, LogoutForm
from web.auth.models import User
from web.auth.services import authenticate
from web.extensions import db, limiter, login_manager

LOGIN_FAILED = "Email or password is not correct."


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The signed-in account, or ``None`` (signed out) when its password changed since the
    session began (see :meth:`User.get_id`). A deactivated account loads but counts as signed
    out: Flask-Login's ``is_authenticated`` follows :attr:`User.is_active`."""
    user_id, _, fingerprint = session_id.partition(":")
    user = db.session.get(User, int(user_id)) if user_id.isdecimal() else None
    if user is None:
        return None
    if not hmac.compare_digest(fingerprint, user.session_fingerprint):
        return None
    return user


def safe_next_url(target: str | None) -> str | None:
    """Only same-site relative paths are followed after sign-in (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def home_for(user: User) -> str:
    """Where a user lands after sign-in: staff can only check people in."""
    if not user.is_organiser:
        return url_for("checkin.index")
    return url_for("events.list_events")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"], error_message="Too many sign-in attempts. Wait a minute and try again.")
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(request.args.get("next")) or home_for(user))
        flash(LOGIN_FAILED, "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    form = LogoutForm()
    if form.validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
