"""Print page and PDF downloads (thin; see services).

Downloads are generated on the fly while the request waits; a large batch (2,000 agendas,
about 18 s) holds one worker for that long.
"""

from __future__ import annotations

import io

from flask import abort, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from badges.layouts import LAYOUTS
from web.attendees.services import attendee_for_token
from web.audit import AuditAction, record
from web.auth.decorators import organiser_required, role_required
from web.auth.models import Role
from web.events.models import Event
from web.events.services import Access, get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.extensions import db, public_page_limit
from web.printing import bp
from web.printing.forms import AgendaForm, BadgeForm
from web.printing.services import (
    NoPublishedSchedule,
    PrintedDocument,
    PrintError,
    UnknownAttendee,
    attendee_rows,
    badge_rows,
    print_agendas,
    print_badges,
    print_checkin_list,
    print_master_grid,
    print_personal_agenda,
    print_table_sheets,
)
from web.schedules.personal import cached_for_attendee
from web.schedules.versions import published_version


def _download(document: PrintedDocument) -> ResponseReturnValue:
    response = send_file(document.data, mimetype="application/pdf", as_attachment=True,
                         download_name=document.filename, max_age=0)
    # Printouts carry names and check-in codes: keep them out of shared caches.
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _page(event: Event, *, badge_form: BadgeForm | None = None, agenda_form: AgendaForm | None = None,
          error: str | None = None, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "printing/index.html", event=event,
        badge_form=badge_form or BadgeForm(formdata=None),
        agenda_form=agenda_form or AgendaForm(formdata=None),
        attendees=attendee_rows(event), layouts=LAYOUTS.values(),
        published=published_version(event) is not None, error=error,
    ), status


@bp.get("/console/<slug>/print")
@organiser_required
def index(slug: str) -> ResponseReturnValue:
    return _page(get_event_or_404(slug))


@bp.get("/console/<slug>/print/badges")
@organiser_required
def badges(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = BadgeForm(formdata=request.args)
    if not form.validate():
        return _page(event, badge_form=form, status=422)
    try:
        rows = badge_rows(event, form.scope.data, form.attendee.data)
        document = print_badges(event, rows, layout=form.layout.data, crop_marks=bool(form.crop_marks.data),
                                scope=form.scope.data)
    except UnknownAttendee as exc:
        form.attendee.errors = [*form.attendee.errors, str(exc)]
        return _page(event, badge_form=form, status=404)
    except PrintError as exc:
        return _page(event, badge_form=form, error=str(exc), status=422)
    return _download(document)


@bp.get("/console/<slug>/print/agendas")
@organiser_required
def agendas(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = AgendaForm(formdata=request.args)
    if not form.validate():
        return _page(event, agenda_form=form, status=422)
    try:
        document = print_agendas(event, form.attendee.data.strip() if form.scope.data == "one" else None)
    except UnknownAttendee as exc:
        form.attendee.errors = [*form.attendee.errors, str(exc)]
        return _page(event, agenda_form=form, status=404)
    except NoPublishedSchedule as exc:
        return _page(event, agenda_form=form, error=str(exc), status=409)
    record(AuditAction.EXPORT, event_id=event.id, target="agendas with personal links", event=event.slug,
           attendee=form.attendee.data.strip() if form.scope.data == "one" else None)
    db.session.commit()
    return _download(document)


def _schedule_sheet(slug: str, render) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    try:
        document = render(event)
    except NoPublishedSchedule as exc:
        return _page(event, error=str(exc), status=409)
    return _download(document)


@bp.get("/console/<slug>/print/tables")
@organiser_required
def tables(slug: str) -> ResponseReturnValue:
    return _schedule_sheet(slug, print_table_sheets)


@bp.get("/console/<slug>/print/grid")
@organiser_required
def grid(slug: str) -> ResponseReturnValue:
    return _schedule_sheet(slug, print_master_grid)


@bp.get("/console/<slug>/print/checkin-list")
@organiser_required
def checkin_list(slug: str) -> ResponseReturnValue:
    return _download(print_checkin_list(get_event_or_404(slug)))


@bp.get("/checkin/<slug>/badge/<ext_id>.pdf")
@role_required(Role.STAFF)
def desk_badge(slug: str, ext_id: str) -> ResponseReturnValue:
    """One A6 badge, printed at the check-in desk for a walk-in or someone who lost theirs.

    Staff may print badges (the QR carries only the opaque check-in code) but nothing else
    from the print page, which stays organiser-only under /console.
    """
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    try:
        rows = badge_rows(event, "one", ext_id)
    except UnknownAttendee:
        abort(404)
    return _download(print_badges(event, rows, layout="a6", scope="one"))


@bp.get("/me/<token>/agenda.pdf")
@public_page_limit
def personal_agenda(token: str) -> ResponseReturnValue:
    """The attendee's own agenda; the token in the link is the only credential."""
    attendee = attendee_for_token(token)
    if attendee is None:
        abort(404)

    def render() -> tuple[bytes, str] | tuple[()]:
        try:
            document = print_personal_agenda(attendee)
        except NoPublishedSchedule:
            return ()
        return document.data.getvalue(), document.filename

    rendered = cached_for_attendee("agenda.pdf", attendee, render)  # one render per version
    if not rendered:
        abort(404, description="Your agenda is not ready yet: the organisers have not published "
                               "the schedule. Please check again later.")
    data, filename = rendered
    return _download(PrintedDocument(io.BytesIO(data), filename, 0, 1))


@bp.after_request
def _no_index_personal_pages(response):
    """Personal links (agenda or 404) never end up in search engines."""
    if request.path.startswith("/me/"):
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """Printing's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Badges and printouts", url_for("printing.index", slug=event.slug), 70)]
