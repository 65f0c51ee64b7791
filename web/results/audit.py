"""The event's audit trail as a console page, /console/<slug>/audit: newest first, a page at a
time, filtered by action. The trail itself (model and ``record``) is ``web.audit``, low in the
feature order; the page needs the event, so it lives here, above events."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.audit import AuditAction, audit_page
from web.auth.decorators import organiser_required
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links

audit_bp = Blueprint("audit", __name__, template_folder="templates", url_prefix="/console/<slug>/audit")

PER_PAGE = 50


@audit_bp.get("/")
@organiser_required
def audit_trail(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    chosen = request.args.get("action", "")
    action = chosen if chosen in set(AuditAction) else None
    page = audit_page(event.id, action=action, page=request.args.get("page", 1, type=int) or 1,
                      per_page=PER_PAGE)
    return render_template("results/audit.html", event=event, page=page, action=action,
                           actions=list(AuditAction))


@console_links.connect
def _audit_link(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The trail's link on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Audit trail", url_for("audit.audit_trail", slug=event.slug), 90)]
