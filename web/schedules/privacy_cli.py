"""``flask --app web privacy erase-expired``: erase the attendees of every event past its
retention date (what the workers' daily sweep does), from a shell or cron."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from web.schedules.privacy import erase_past_retention

privacy_cli = AppGroup("privacy", help="Attendees' personal data: retention.")


@privacy_cli.command("erase-expired")
@click.option("--dry-run", is_flag=True, help="Only say how many people would be erased.")
def erase_expired_command(dry_run: bool) -> None:
    """Erase every attendee of every event whose retention date has passed."""
    done = erase_past_retention(dry_run=dry_run)
    verb = "would erase" if dry_run else "erased"
    for slug, count in done.items():
        click.echo(f"{slug}: {verb} {count} attendee(s)")
    click.echo(f"{verb} {sum(done.values())} attendee(s) in {len(done)} event(s) past retention")
