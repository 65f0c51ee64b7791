"""``flask --app web print badges|agendas|tables|grid|checkin-list --event SLUG --out FILE``.

Prints from a stored event with its real check-in codes and badge numbers (unlike
``python -m badges``, which works from files). Agendas, table sheets and the grid need a
published schedule.
"""

from __future__ import annotations

import click
from flask.cli import AppGroup

from badges.layouts import LAYOUTS
from web.events.models import Event
from web.events.services import find_event
from web.printing.services import (
    DEFAULT_LAYOUT,
    PrintedDocument,
    PrintError,
    badge_rows,
    print_agendas,
    print_badges,
    print_checkin_list,
    print_master_grid,
    print_table_sheets,
)

print_cli = AppGroup("print", help="Print badges, agendas and sheets of a stored event as PDF.")

_event_option = click.option("--event", "slug", required=True, metavar="SLUG", help="the event's slug")
_out_option = click.option("--out", required=True, type=click.Path(dir_okay=False, writable=True),
                           help="PDF file to write")


def _event(slug: str) -> Event:
    event = find_event(slug)
    if event is None:
        raise click.ClickException(f"no event with slug '{slug}'")
    return event


def _write(document: PrintedDocument, out: str, what: str) -> None:
    try:
        with open(out, "wb") as handle:
            handle.write(document.data.getbuffer())
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"wrote {out}: {what} on {document.pages} page(s)")


def _run(render, *args, **kwargs) -> PrintedDocument:
    try:
        return render(*args, **kwargs)
    except PrintError as exc:
        raise click.ClickException(str(exc)) from None


@print_cli.command("badges")
@_event_option
@_out_option
@click.option("--layout", default=DEFAULT_LAYOUT, show_default=True, type=click.Choice(sorted(LAYOUTS)),
              help="sheet layout")
@click.option("--crop-marks", is_flag=True, help="print cut lines in the sheet margins")
@click.option("--attendee", metavar="ID", help="only this attendee (the attendee file's id)")
@click.option("--walk-ins", is_flag=True, help="only walk-ins added today")
def badges_command(slug: str, out: str, layout: str, crop_marks: bool, attendee: str | None,
                   walk_ins: bool) -> None:
    """Name badges with check-in QR codes, in name order."""
    if attendee and walk_ins:
        raise click.UsageError("give --attendee or --walk-ins, not both")
    event = _event(slug)
    scope = "one" if attendee else "walk-ins" if walk_ins else "all"
    rows = _run(badge_rows, event, scope, attendee)
    document = _run(print_badges, event, rows, layout=layout, crop_marks=crop_marks, scope=scope)
    _write(document, out, f"{document.count} badge(s), layout {layout}")


@print_cli.command("agendas")
@_event_option
@_out_option
@click.option("--attendee", metavar="ID", help="only this attendee (the attendee file's id)")
def agendas_command(slug: str, out: str, attendee: str | None) -> None:
    """Personal agendas from the published schedule, in name order."""
    document = _run(print_agendas, _event(slug), attendee)
    _write(document, out, f"{document.count} agenda(s)")


@print_cli.command("tables")
@_event_option
@_out_option
def tables_command(slug: str, out: str) -> None:
    """One sheet per table from the published schedule."""
    document = _run(print_table_sheets, _event(slug))
    _write(document, out, f"{document.count} table sheet(s)")


@print_cli.command("grid")
@_event_option
@_out_option
def grid_command(slug: str, out: str) -> None:
    """Master grid of the published schedule (tables down, rounds across)."""
    document = _run(print_master_grid, _event(slug))
    _write(document, out, f"master grid of {document.count} table(s)")


@print_cli.command("checkin-list")
@_event_option
@_out_option
def checkin_list_command(slug: str, out: str) -> None:
    """Alphabetical check-in list with badge numbers."""
    document = _run(print_checkin_list, _event(slug))
    _write(document, out, f"{document.count} attendee(s)")
