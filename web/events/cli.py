"""``flask --app web event-member SLUG EMAIL [--role organiser|staff]``: put an account in an
event's team from the server, the way back in for an event whose organisers are all gone."""

from __future__ import annotations

import click
from flask import Flask

from web.auth.services import find_user
from web.events.members import MemberRole, TeamError, ensure_member, member_role
from web.events.services import find_event


def register_events_cli(app: Flask) -> None:
    @app.cli.command("event-member")
    @click.argument("slug")
    @click.argument("email")
    @click.option("--role", type=click.Choice([str(role) for role in MemberRole]),
                  default=str(MemberRole.ORGANISER), show_default=True)
    def event_member_command(slug: str, email: str, role: str) -> None:
        """Make an account organiser or check-in staff of an event (an existing organiser stays
        one; change roles on the event's Team page)."""
        event = find_event(slug)
        if event is None:
            raise click.ClickException(f"no event with the short name {slug}")
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        try:
            ensure_member(event, user, MemberRole(role))
        except TeamError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{user.email} is {member_role(user.id, event.id)} of {event.slug}.")
