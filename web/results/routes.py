"""Organiser pages for results (thin; see services)."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue

from web.auth.decorators import organiser_required
from web.downloads import spreadsheet_download
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.results import bp
from web.results.services import export_results, results_summary


@bp.get("/")
@organiser_required
def index(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    return render_template("results/index.html", event=event, summary=results_summary(event))


@bp.get("/attendance.<fmt>")
@organiser_required
def attendance(slug: str, fmt: str) -> ResponseReturnValue:
    return _export(slug, "attendance", fmt)


@bp.get("/meetings.<fmt>")
@organiser_required
def meetings(slug: str, fmt: str) -> ResponseReturnValue:
    return _export(slug, "meetings", fmt)


def _export(slug: str, table: str, fmt: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    return spreadsheet_download(fmt, f"{event.slug}-{table}", lambda chosen: export_results(event, table, chosen))


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """Results's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Results and exports", url_for("results.index", slug=event.slug), 80, before_deleting=True)]
