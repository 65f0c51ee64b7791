"""Kiosk views for check-in staff (thin; the rules live in :mod:`web.checkin.services`).

The kiosk works as plain HTML forms; ``static/checkin.js`` adds instant answers (``scan.json``),
camera scanning and live counts on top.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from flask import (
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from marshmallow import ValidationError

from web.api import schema_answer
from web.attendees.lifecycle import StateChangeRefused, mark_left
from web.attendees.models import Attendee, AttendeeSource
from web.attendees.services import AttendeeRowInvalid, get_attendee_or_404
from web.auth.decorators import role_required
from web.auth.models import Role
from web.checkin import bp
from web.checkin.desk import (
    NotYourWalkIn,
    availability_cell,
    chosen_rounds_of,
    correct_walk_in,
    may_correct,
    open_rounds,
    register_walk_in,
    search_desk,
)
from web.checkin.forms import (
    Availability,
    CheckInPersonForm,
    ConfirmForm,
    DeviceForm,
    ScanForm,
    WalkInDetailsForm,
    WalkInEditForm,
    WalkInForm,
)
from web.checkin.messages import announcement, result_message
from web.checkin.schemas import (
    KioskAction,
    KioskAnswer,
    KioskAnswerOut,
    KioskCounts,
    KioskCountsOut,
    KioskErrorOut,
    KioskScanRequest,
)
from web.checkin.services import (
    HTTP_STATUS,
    CheckInError,
    CheckInResult,
    Person,
    annul,
    check_in,
    check_in_attendee,
    clean_device,
    get_checkin,
    live_counts,
    local_time,
    new_nonce,
    recent_checkins,
    restore_and_check_in,
)
from web.events.models import Event
from web.events.services import Access, get_event_or_404, list_events
from web.events.signals import ConsoleLink, OverviewPart, console_links, overview_parts
from web.types import utcnow

DEVICE_COOKIE = "speednet_kiosk"
DEVICE_COOKIE_AGE = 365 * 24 * 3600

staff_required = role_required(Role.STAFF)
WalkInDetailsFormT = TypeVar("WalkInDetailsFormT", bound=WalkInDetailsForm)

# Built once: building a schema with nested ones costs more than dumping a scan's answer.
_SCAN_REQUEST = KioskScanRequest()
_ANSWER = KioskAnswerOut()
_ERROR = KioskErrorOut()
_COUNTS = KioskCountsOut()


def _device() -> str:
    return clean_device(request.cookies.get(DEVICE_COOKIE))[:40]


def _print_badge_url(event: Event, attendee: Person | Attendee) -> str:
    """The printing feature's desk badge download (staff and organisers)."""
    return url_for("printing.desk_badge", slug=event.slug, ext_id=attendee.ext_id)


@bp.get("/")
@staff_required
def index() -> ResponseReturnValue:
    """Staff land here after sign-in: straight to the kiosk when there is one event (of the
    events whose door the account works)."""
    events = list_events(current_user.id, access=Access.CHECK_IN)
    if len(events) == 1:
        return redirect(url_for("checkin.kiosk", slug=events[0].slug))
    return render_template("checkin/index.html", events=events)


def _render_kiosk(event: Event, result: CheckInResult | None = None, *, status: int = 200,
                  walk_in: Attendee | None = None) -> ResponseReturnValue:
    """The kiosk page; after a walk-in (``walk_in``: the new row) the answer also offers the
    badge, the correction form and names the values that are not in the event's lists."""
    device = _device()
    query = request.args.get("q", "")[:200]
    scan_form = ScanForm(formdata=None, data={"nonce": new_nonce()})
    context: dict[str, Any] = {
        "event": event, "device": device, "query": query, "scan_form": scan_form,
        "matches": search_desk(event, query) if query else [],
        "recent": recent_checkins(event), "counts": live_counts(event),
        "person_form": CheckInPersonForm, "new_nonce": new_nonce, "undo_form": ConfirmForm(),
        "result": result, "local_time": local_time,
        "correct_url": (url_for("checkin.correct_walk_in_page", slug=event.slug, attendee_id=walk_in.id)
                        if walk_in is not None else None),
        "unlisted": walk_in.unlisted(event.taxonomy_obj()) if walk_in is not None else {},
        "may_correct": lambda row: may_correct(row, current_user),
        "message": result_message(result) if result else "",
        "announcement": announcement(result) if result else "",
        "print_url": (_print_badge_url(event, result.attendee)
                      if walk_in is not None and result and result.attendee else None),
        "actions": _answer_actions(event, result) if result and result.attendee else [],
        "device_form": None if device else DeviceForm(formdata=None),
    }
    return render_template("checkin/kiosk.html", **context), status


@bp.route("/<slug>", methods=["GET", "POST"])
@staff_required
def kiosk(slug: str) -> ResponseReturnValue:
    """GET: the kiosk (and desk search with ?q=). POST: a scanned or typed code."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    if request.method == "GET":
        return _render_kiosk(event)
    if not _device():
        flash("Name this kiosk first.", "error")
        return redirect(url_for("checkin.kiosk", slug=event.slug))
    form = ScanForm()
    if not form.validate_on_submit():
        flash("That scan could not be read; scan again.", "error")
        return _render_kiosk(event, status=400)
    try:
        result = check_in(event, form.code.data, nonce=form.nonce.data, device=_device(),
                          staff_user=current_user)
    except CheckInError as exc:
        flash(str(exc), "error")
        return _render_kiosk(event, status=409)
    return _render_kiosk(event, result)


@bp.post("/<slug>/scan.json")
@staff_required
def scan_json(slug: str) -> ResponseReturnValue:
    """The kiosk script's instant check-in: JSON ``{"code"|"attendee_id", "nonce"}`` with the
    CSRF token in the ``X-CSRFToken`` header, read through :class:`KioskScanRequest`. Answers
    like the API (201/200/404/409), with the undo link and the buttons for the person."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _scan_error("Send a JSON object.", 400)
    try:
        scan = _SCAN_REQUEST.load(data)
    except ValidationError as exc:
        return _scan_error(_first_problem(exc.messages), 422)
    device = clean_device(scan["device"]) or _device()
    nonce = scan["nonce"] or ""
    try:
        if scan["attendee_id"] is not None:
            attendee = get_attendee_or_404(event, scan["attendee_id"])
            result = check_in_attendee(event, attendee, nonce=nonce, device=device,
                                       staff_user=current_user)
        else:
            result = check_in(event, scan["code"] or "", nonce=nonce, device=device,
                              staff_user=current_user)
    except CheckInError as exc:
        return _scan_error(str(exc), 409)
    return schema_answer(_ANSWER, _kiosk_answer(event, result), HTTP_STATUS[result.status])


def _scan_error(message: str, status: int) -> Response:
    return schema_answer(_ERROR, {"status": "error", "message": message}, status)


def _first_problem(messages: Any) -> str:
    """``field: message`` of a schema's first complaint, as one line for the kiosk's answer."""
    if isinstance(messages, dict) and messages:
        field, problem = next(iter(messages.items()))
        return f"{field}: {_first_problem(problem)}"
    if isinstance(messages, list) and messages:
        return _first_problem(messages[0])
    return str(messages)


def _kiosk_answer(event: Event, result: CheckInResult) -> KioskAnswer:
    checkin = result.checkin
    annul_url = (url_for("checkin.annul_checkin", slug=event.slug, checkin_id=checkin.id)
                 if checkin is not None and checkin.annulled_at is None else None)
    actions = _answer_actions(event, result) if result.attendee is not None else []
    return KioskAnswer(result, annul_url, actions)


def _answer_actions(event: Event, result: CheckInResult) -> list[KioskAction]:
    """Buttons the kiosk script draws under an answer (the page draws the same ones)."""
    assert result.attendee is not None
    if result.status == "withdrawn":
        return [KioskAction(url_for("checkin.restore_person", slug=event.slug,
                                    attendee_id=result.attendee.id),
                            "Restore and check in", new_nonce())]
    if result.status == "already":
        return [KioskAction(url_for("checkin.leave_person", slug=event.slug,
                                    attendee_id=result.attendee.id), "Leaving")]
    return []


@bp.post("/<slug>/attendees/<int:attendee_id>")
@staff_required
def check_in_person(slug: str, attendee_id: int) -> ResponseReturnValue:
    """The "Check in" button of a desk search result."""
    return _desk_check_in(slug, attendee_id, check_in_attendee, "The form expired; search again.")


@bp.post("/<slug>/attendees/<int:attendee_id>/restore")
@staff_required
def restore_person(slug: str, attendee_id: int) -> ResponseReturnValue:
    """"Restore and check in" for a withdrawn person who came after all."""
    return _desk_check_in(slug, attendee_id, restore_and_check_in, "The form expired; scan again.")


def _desk_check_in(slug: str, attendee_id: int, action: Any, expired: str) -> ResponseReturnValue:
    """Check one person in from a desk button (``action`` is the service that does it)."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    attendee = get_attendee_or_404(event, attendee_id)
    form = CheckInPersonForm()
    if not form.validate_on_submit():
        flash(expired, "error")
        return redirect(url_for("checkin.kiosk", slug=event.slug))
    try:
        result = action(event, attendee, nonce=form.nonce.data, device=_device(), staff_user=current_user)
    except CheckInError as exc:
        flash(str(exc), "error")
        return _render_kiosk(event, status=409)
    return _render_kiosk(event, result)


@bp.post("/<slug>/attendees/<int:attendee_id>/leave")
@staff_required
def leave_person(slug: str, attendee_id: int) -> ResponseReturnValue:
    """"Leaving": a checked-in person goes home; their later rounds are free."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    attendee = get_attendee_or_404(event, attendee_id)
    if not ConfirmForm().validate_on_submit():
        flash("The form expired; find the person again.", "error")
        return redirect(url_for("checkin.kiosk", slug=event.slug))
    try:
        mark_left(attendee, current_user)
    except StateChangeRefused as exc:
        flash(str(exc), "error")
    else:
        flash(f"{attendee.name} has left: their later rounds are free.", "success")
    return redirect(url_for("checkin.kiosk", slug=event.slug))


@bp.post("/<slug>/checkins/<int:checkin_id>/annul")
@staff_required
def annul_checkin(slug: str, checkin_id: int) -> ResponseReturnValue:
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    checkin = get_checkin(event, checkin_id)
    if checkin is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        annul(checkin, current_user)
        flash(f"Check-in of {checkin.attendee.name} undone.", "success")
    return redirect(url_for("checkin.kiosk", slug=event.slug))


@bp.route("/<slug>/device", methods=["GET", "POST"])
@staff_required
def device(slug: str) -> ResponseReturnValue:
    """Name this kiosk once; the name lives in a cookie on this device."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    form = DeviceForm(data={"device": _device()})
    if form.validate_on_submit():
        name = clean_device(form.device.data)[:40]
        response = make_response(redirect(url_for("checkin.kiosk", slug=event.slug)))
        response.set_cookie(DEVICE_COOKIE, name, max_age=DEVICE_COOKIE_AGE, path="/",
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
        return response
    return render_template("checkin/device.html", event=event, form=form), 422 if form.errors else 200


def _desk_form(form_class: type[WalkInDetailsFormT], event: Event, now: dt.datetime,
               data: dict[str, Any] | None) -> WalkInDetailsFormT:
    """A walk-in form in the event's vocabulary, with the rounds still to come at ``now``;
    ``data`` fills it on GET (a POST reads the request)."""
    form = form_class(data=None if request.method == "POST" else data)
    form.set_choices(event.taxonomy_obj(), open_rounds(event, now))
    return form


def _row_problems(form: WalkInDetailsForm, exc: AttendeeRowInvalid) -> list[str]:
    """The importer's complaints next to the fields they are about; the rest above the form."""
    general = list(exc.other_errors)
    for column, messages in exc.field_errors.items():
        target = getattr(form, column, None)
        if target is not None and column != "id":
            target.errors = [*target.errors, *messages]
        else:
            general.extend(messages)
    return general


def _flash_warnings(warnings: list[Any]) -> None:
    for warning in warnings:
        flash(f"{warning.field}: {warning.message}", "warning")


@bp.route("/<slug>/walk-in", methods=["GET", "POST"])
@staff_required
def walk_in(slug: str) -> ResponseReturnValue:
    """Register somebody who is not on the list, check them in, offer their badge."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    now = utcnow()
    form = _desk_form(WalkInForm, event, now, {"nonce": new_nonce()})
    general: list[str] = []
    if form.validate_on_submit():
        cells = {**form.cells(), "available_rounds": availability_cell(event, form.chosen_rounds(), now)}
        try:
            registered = register_walk_in(event, cells, nonce=form.nonce.data, device=_device(),
                                          staff_user=current_user, now=now)
        except AttendeeRowInvalid as exc:
            general = _row_problems(form, exc)
        except CheckInError as exc:
            general = [str(exc)]
        else:
            _flash_warnings(registered.warnings)
            return _render_kiosk(event, registered.result, walk_in=registered.attendee)
    status = 422 if (form.errors or general) else 200
    return render_template("checkin/walk_in.html", event=event, form=form,
                           general_errors=general), status


@bp.route("/<slug>/walk-ins/<int:attendee_id>", methods=["GET", "POST"])
@staff_required
def correct_walk_in_page(slug: str, attendee_id: int) -> ResponseReturnValue:
    """Correct a walk-in's details at the desk: the staff account that registered them, or an
    organiser (404 outside this event or for someone who did not walk in, 403 for others)."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    row = get_attendee_or_404(event, attendee_id)
    if row.source != AttendeeSource.WALK_IN:
        abort(404)
    if not may_correct(row, current_user):
        abort(403)
    now = utcnow()
    chosen = chosen_rounds_of(event, row, now)
    data = {**WalkInDetailsForm.data_from(row, event.taxonomy_obj()),
            "availability": Availability.FROM_NOW if chosen is None else Availability.CHOSEN,
            "rounds": chosen or []}
    form = _desk_form(WalkInEditForm, event, now, data)
    general: list[str] = []
    if form.validate_on_submit():
        cells = {**form.cells(), "available_rounds": availability_cell(
            event, form.chosen_rounds(), now, previous=row.available_rounds)}
        try:
            warnings = correct_walk_in(event, row, cells, user=current_user)
        except AttendeeRowInvalid as exc:
            general = _row_problems(form, exc)
        except NotYourWalkIn:
            abort(403)
        else:
            _flash_warnings(warnings)
            flash(f"Saved the corrections for {row.name}; print the badge again if it changed.", "success")
            return redirect(url_for("checkin.correct_walk_in_page", slug=event.slug, attendee_id=row.id))
    status = 422 if (form.errors or general) else 200
    return render_template("checkin/walk_in_edit.html", event=event, form=form, attendee=row,
                           unlisted=row.unlisted(event.taxonomy_obj()),
                           print_url=_print_badge_url(event, row), general_errors=general), status


@bp.get("/<slug>/counts.json")
@staff_required
def counts(slug: str) -> ResponseReturnValue:
    """Live counts for the kiosk and the console overview; also hands the page a fresh CSRF
    token so a kiosk left open all day keeps working."""
    event = get_event_or_404(slug, access=Access.CHECK_IN)
    response = schema_answer(_COUNTS, KioskCounts(live_counts(event), generate_csrf()), 200)
    response.headers["Cache-Control"] = "no-store"
    return response


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """The door's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("Check-in", url_for("checkin.kiosk", slug=event.slug), 40)]


@overview_parts.connect
def _overview_counts(_sender: object, *, event: Event, **_: object) -> list[OverviewPart]:
    """The live check-in figures on the overview, refreshed by static/checkin.js."""
    return [OverviewPart("checkin/_overview_counts.html", 10, live_counts(event).as_dict())]
