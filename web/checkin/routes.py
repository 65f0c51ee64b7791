"""Kiosk views for check-in staff (thin; the rules live in :mod:`web.checkin.services`).

The kiosk works as plain HTML forms; ``static/checkin.js`` adds instant answers (``scan.json``),
camera scanning and live counts on top.
"""

from __future__ import annotations

from typing import Any

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
from sqlalchemy import select

from web.api import schema_answer
from web.attendees.lifecycle import StateChangeRefused, mark_left
from web.attendees.services import AttendeeRowInvalid, get_attendee_or_404
from web.auth.decorators import role_required
from web.auth.models import Role
from web.checkin import bp
from web.checkin.desk import register_walk_in, search_desk
from web.checkin.forms import (
    CheckInPersonForm,
    ConfirmForm,
    DeviceForm,
    ScanForm,
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
from web.events.services import get_event_or_404
from web.extensions import db

DEVICE_COOKIE = "speednet_kiosk"
DEVICE_COOKIE_AGE = 365 * 24 * 3600

staff_required = role_required(Role.STAFF)

# Built once: building a schema with nested ones costs more than dumping a scan's answer.
_SCAN_REQUEST = KioskScanRequest()
_ANSWER = KioskAnswerOut()
_ERROR = KioskErrorOut()
_COUNTS = KioskCountsOut()


def _device() -> str:
    return clean_device(request.cookies.get(DEVICE_COOKIE))[:40]


def _print_badge_url(event: Event, attendee: Person) -> str:
    """The printing feature's desk badge download (staff and organisers)."""
    return url_for("printing.desk_badge", slug=event.slug, ext_id=attendee.ext_id)


@bp.get("/")
@staff_required
def index() -> ResponseReturnValue:
    """Staff land here after sign-in: straight to the kiosk when there is one event."""
    events = list(db.session.scalars(select(Event).order_by(Event.date.desc(), Event.name)))
    if len(events) == 1:
        return redirect(url_for("checkin.kiosk", slug=events[0].slug))
    return render_template("checkin/index.html", events=events)


def _render_kiosk(event: Event, result: CheckInResult | None = None, *, status: int = 200,
                  walk_in: bool = False) -> ResponseReturnValue:
    device = _device()
    query = request.args.get("q", "")[:200]
    scan_form = ScanForm(formdata=None, data={"nonce": new_nonce()})
    context: dict[str, Any] = {
        "event": event, "device": device, "query": query, "scan_form": scan_form,
        "matches": search_desk(event, query) if query else [],
        "recent": recent_checkins(event), "counts": live_counts(event),
        "person_form": CheckInPersonForm, "new_nonce": new_nonce, "undo_form": ConfirmForm(),
        "result": result, "walk_in": walk_in, "local_time": local_time,
        "message": result_message(result) if result else "",
        "announcement": announcement(result) if result else "",
        "print_url": (_print_badge_url(event, result.attendee)
                      if walk_in and result and result.attendee else None),
        "actions": _answer_actions(event, result) if result and result.attendee else [],
        "device_form": None if device else DeviceForm(formdata=None),
    }
    return render_template("checkin/kiosk.html", **context), status


@bp.route("/<slug>", methods=["GET", "POST"])
@staff_required
def kiosk(slug: str) -> ResponseReturnValue:
    """GET: the kiosk (and desk search with ?q=). POST: a scanned or typed code."""
    event = get_event_or_404(slug)
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
    event = get_event_or_404(slug)
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
    event = get_event_or_404(slug)
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
    event = get_event_or_404(slug)
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
    event = get_event_or_404(slug)
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
    event = get_event_or_404(slug)
    form = DeviceForm(data={"device": _device()})
    if form.validate_on_submit():
        name = clean_device(form.device.data)[:40]
        response = make_response(redirect(url_for("checkin.kiosk", slug=event.slug)))
        response.set_cookie(DEVICE_COOKIE, name, max_age=DEVICE_COOKIE_AGE, path="/",
                            httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
        return response
    return render_template("checkin/device.html", event=event, form=form), 422 if form.errors else 200


@bp.route("/<slug>/walk-in", methods=["GET", "POST"])
@staff_required
def walk_in(slug: str) -> ResponseReturnValue:
    """Register somebody who is not on the list, check them in, offer their badge."""
    event = get_event_or_404(slug)
    taxonomy = event.taxonomy_obj()
    form = WalkInForm(data=None if request.method == "POST" else {"nonce": new_nonce()})
    form.set_choices(taxonomy.regions, taxonomy.partner_types)
    general: list[str] = []
    if form.validate_on_submit():
        try:
            registered = register_walk_in(event, form.cells(), nonce=form.nonce.data,
                                          device=_device(), staff_user=current_user)
        except AttendeeRowInvalid as exc:
            general = list(exc.other_errors)
            for column, messages in exc.field_errors.items():
                target = getattr(form, column, None)
                if target is not None and column != "id":
                    target.errors = [*target.errors, *messages]
                else:
                    general.extend(messages)
        except CheckInError as exc:
            general = [str(exc)]
        else:
            for warning in registered.warnings:
                flash(f"{warning.field}: {warning.message}", "warning")
            return _render_kiosk(event, registered.result, walk_in=True)
    status = 422 if (form.errors or general) else 200
    return render_template("checkin/walk_in.html", event=event, form=form,
                           general_errors=general), status


@bp.get("/<slug>/counts.json")
@staff_required
def counts(slug: str) -> ResponseReturnValue:
    """Live counts for the kiosk and the console overview; also hands the page a fresh CSRF
    token so a kiosk left open all day keeps working."""
    event = get_event_or_404(slug)
    response = schema_answer(_COUNTS, KioskCounts(live_counts(event), generate_csrf()), 200)
    response.headers["Cache-Control"] = "no-store"
    return response
