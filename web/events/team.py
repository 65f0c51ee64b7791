"""The event's team page: ``/console/<slug>/team`` (the event's organisers only).

Lists the members, adds an existing active account by e-mail with a role, changes a member's
role and removes a member (on a confirmation page). The last organiser can be neither removed
nor demoted (:mod:`web.events.members`). A change takes effect on the member's next request,
their API tokens included.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from web.auth.decorators import organiser_required
from web.auth.models import User
from web.auth.services import normalise_email
from web.events import bp
from web.events.forms import ConfirmRemovalForm, TeamAddForm, TeamRoleForm
from web.events.members import (
    MEMBER_ROLE_LABELS,
    MemberRole,
    TeamError,
    add_member,
    change_role,
    remove_member,
    team_of,
)
from web.events.models import Event
from web.events.services import get_event_or_404
from web.extensions import db


def _team_page(event: Event, form: TeamAddForm, status: int = 200) -> ResponseReturnValue:
    members = team_of(event)
    role_forms = {m.id: TeamRoleForm(formdata=None, data={"role": str(m.role)}, prefix=f"m{m.id}")
                  for m in members}
    return render_template("events/team.html", event=event, members=members, form=form,
                           role_forms=role_forms, labels=MEMBER_ROLE_LABELS), status


@bp.route("/<slug>/team", methods=["GET", "POST"])
@organiser_required
def team(slug: str) -> ResponseReturnValue:
    """GET: the team. POST: add an account to it."""
    event = get_event_or_404(slug)
    form = TeamAddForm()
    if not form.validate_on_submit():
        return _team_page(event, form, 422 if form.errors else 200)
    email = normalise_email(form.email.data or "")
    user = db.session.scalar(select(User).where(User.email == email))
    try:
        if user is None:
            raise TeamError(f"There is no account for {email}; ask an administrator to create it first.")
        add_member(event, user, MemberRole(form.role.data))
    except TeamError as exc:
        db.session.rollback()
        form.email.errors = [*form.email.errors, str(exc)]
        return _team_page(event, form, 422)
    flash(f"Added {email} as {MEMBER_ROLE_LABELS[MemberRole(form.role.data)].lower()}.", "success")
    return redirect(url_for("events.team", slug=event.slug))


@bp.post("/<slug>/team/<int:member_id>/role")
@organiser_required
def member_role_change(slug: str, member_id: int) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = TeamRoleForm(prefix=f"m{member_id}")
    if not form.validate_on_submit():
        flash("The form expired or the role is not one of the choices; try again.", "error")
        return redirect(url_for("events.team", slug=event.slug))
    role = MemberRole(form.role.data)
    try:
        row = change_role(event, member_id, role)
    except TeamError as exc:
        flash(str(exc), "error")
        return _team_page(event, TeamAddForm(formdata=None), 409)
    flash(f"{row.user.email} is now {MEMBER_ROLE_LABELS[role].lower()}.", "success")
    return redirect(url_for("events.team", slug=event.slug))


@bp.route("/<slug>/team/<int:member_id>/remove", methods=["GET", "POST"])
@organiser_required
def member_remove(slug: str, member_id: int) -> ResponseReturnValue:
    """GET: asks to confirm. POST: removes the member (refused for the last organiser)."""
    event = get_event_or_404(slug)
    member = next((m for m in team_of(event) if m.id == member_id), None)
    if member is None:
        flash("That person is not in the team (any more).", "error")
        return redirect(url_for("events.team", slug=event.slug))
    form = ConfirmRemovalForm()
    if form.validate_on_submit():
        try:
            email = remove_member(event, member_id)
        except TeamError as exc:
            flash(str(exc), "error")
            return _team_page(event, TeamAddForm(formdata=None), 409)
        flash(f"Removed {email} from the team.", "success")
        return redirect(url_for("events.team", slug=event.slug))
    return render_template("events/team_remove.html", event=event, member=member, form=form)
