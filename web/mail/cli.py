"""``flask --app web mail deliver``: send what the outbox has due, from a shell or cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from web.mail.services import deliver_due, smtp_settings

mail_cli = AppGroup("mail", help="The e-mail outbox.")


@mail_cli.command("deliver")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Most messages to send in this run.")
def deliver_command(limit: int) -> None:
    """Send the queued messages that are due (retries included), each at most once."""
    if smtp_settings() is None:
        click.echo("No SMTP server configured (SMTP_HOST): queued messages are held in the outbox.")
    report = deliver_due(limit)
    click.echo(f"sent {report.sent}, retrying later {report.retrying}, failed {report.failed}, "
               f"held {report.held}")
