"""``flask --app web create-user``, ``set-password`` and ``api-token``."""

from __future__ import annotations

import click
from flask import Flask

from web.auth.models import ROLE_ORGANISER, ROLES
from web.auth.services import AccountError, create_api_token, create_user, find_user, make_admin, set_password


def register_auth_cli(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", type=click.Choice([str(role) for role in ROLES]), default=str(ROLE_ORGANISER), show_default=True)
    @click.option("--admin/--no-admin", default=None,
                  help="Whether the organiser administers accounts (default: the first organiser does).")
    @click.password_option("--password", help="Prompted for (twice) when not given.")
    def create_user_command(email: str, role: str, admin: bool | None, password: str) -> None:
        """Create an organiser or check-in staff account."""
        try:
            user = create_user(email, password, role, is_admin=admin)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Created {user.role} account {user.email}{' (admin)' if user.is_admin else ''}.")

    @app.cli.command("set-admin")
    @click.argument("email")
    def set_admin_command(email: str) -> None:
        """Make an organiser account an admin (and active): the way back when no admin is left."""
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        try:
            make_admin(user)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"{user.email} is an admin.")

    @app.cli.command("set-password")
    @click.argument("email")
    @click.password_option("--password", help="Prompted for (twice) when not given.")
    def set_password_command(email: str, password: str) -> None:
        """Set a new password for an account (the way back in for a locked-out organiser);
        its open sessions end."""
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        try:
            set_password(user, password)
        except AccountError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Password set for {user.email}.")

    @app.cli.command("api-token")
    @click.argument("email")
    @click.option("--name", default="", help="What the token is for (shown in lists).")
    def api_token_command(email: str, name: str) -> None:
        """Print a new API token for an account. It is stored hashed: copy it now."""
        user = find_user(email)
        if user is None:
            raise click.ClickException(f"no account for {email}")
        click.echo(create_api_token(user, name))
