"""Public views (thin; see services and calendar)."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.attendees.services import AttendeeRowInvalid, get_attendee_for_token_or_404
from web.events.services import Access, get_event_or_404
from web.extensions import limiter, public_page_limit, signal_sender
from web.public import bp
from web.public.calendar import calendar_for
from web.public.forms import ConfirmRegistrationForm, LinkRecoveryForm, registration_form
from web.public.mail import request_link
from web.public.registration import (
    confirm_registration,
    pending_for_token,
    privacy_notice,
    submit_registration,
)
from web.public.services import (
    agenda_for,
    agenda_last_changed,
    local_label,
    qr_png,
    qr_svg,
    registration_from_form,
)
from web.schedules.personal import cached_for_attendee, now_and_next
from web.types import utcnow
from web.wishes.routes import listing_form

# Columns the importer reports -> registration form fields.
_COLUMN_FIELDS = {"name": "name", "email": "email", "company": "company", "title": "title",
                  "region": "region", "country": "country", "partner_type": "partner_type",
                  "offers": "offers", "seeks": "seeks", "available_rounds": "rounds"}

NOINDEX = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store",
           "Referrer-Policy": "no-referrer"}


@bp.route("/e/<slug>/register", methods=["GET", "POST"])
@limiter.limit("10/minute;60/hour", methods=["POST"],
               error_message="Too many registrations from your network. Wait a minute and try again.")
def register_page(slug: str) -> ResponseReturnValue:
    """The registration form. Whatever a valid form did (registered, waiting for the
    confirmation link, an address registered already) the answer is the same redirect to
    "check your inbox": the page never tells who is registered."""
    event = get_event_or_404(slug, access=Access.PUBLIC)
    if not event.registration_open:
        return render_template("public/closed.html", event=event)
    form = registration_form(event.taxonomy_obj(), event.timetable())
    general: list[str] = []
    if form.validate_on_submit():
        try:
            submit_registration(signal_sender(), event, registration_from_form(form))
        except AttendeeRowInvalid as exc:
            general = list(exc.other_errors)
            for column, messages in exc.field_errors.items():
                field = getattr(form, _COLUMN_FIELDS.get(column, ""), None)
                if field is None:
                    general.extend(messages)
                else:
                    field.errors = [*field.errors, *messages]
        else:
            return Response(status=303, headers={
                "Location": url_for("public.registration_sent", slug=event.slug)})
    status = 422 if (form.errors or general) else 200
    return render_template("public/register.html", event=event, form=form,
                           notice=privacy_notice(event), general_errors=general), status


@bp.get("/e/<slug>/register/sent")
def registration_sent(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug, access=Access.PUBLIC)
    return _private(Response(render_template("public/registration_sent.html", event=event)))


@bp.route("/e/<slug>/confirm/<token>", methods=["GET", "POST"])
@limiter.limit("10/minute", methods=["POST"],
               error_message="Too many requests from your network. Wait a minute and try again.")
def confirm_registration_page(slug: str, token: str) -> ResponseReturnValue:
    """The double opt-in link. Opening it (a mail scanner may) only shows a button; the
    registration counts once the button is pressed."""
    event = get_event_or_404(slug, access=Access.PUBLIC)
    if request.method == "POST":
        form = ConfirmRegistrationForm()
        attendee = confirm_registration(signal_sender(), event, token) if form.validate_on_submit() else None
        if attendee is not None:
            return Response(status=303, headers={
                "Location": url_for("public.registered", token=attendee.token)})
    elif pending_for_token(event, token) is not None:
        return _private(Response(render_template("public/confirm.html", event=event,
                                                 form=ConfirmRegistrationForm(), token=token)))
    return _private(Response(render_template("public/confirm_expired.html", event=event), status=404))


def _private(response: Response) -> Response:
    response.headers.update(NOINDEX)
    return response


@bp.get("/me/<token>/registered")
@public_page_limit
def registered(token: str) -> ResponseReturnValue:
    attendee = get_attendee_for_token_or_404(token)
    return _private(Response(render_template("public/registered.html", attendee=attendee,
                                             event=attendee.event)))


@bp.route("/e/<slug>/link", methods=["GET", "POST"])
@limiter.limit("5/minute;20/hour", methods=["POST"],
               error_message="Too many requests from your network. Wait a minute and try again.")
def link_recovery(slug: str) -> ResponseReturnValue:
    """"Send me my link again". A valid address always gets the same page, whether or not it
    is registered: the page must not tell anyone who is coming."""
    event = get_event_or_404(slug, access=Access.PUBLIC)
    form = LinkRecoveryForm()
    if form.validate_on_submit():
        request_link(signal_sender(), event, form.email.data or "")
        return _private(Response(render_template("public/link_sent.html", event=event)))
    status = 422 if form.errors else 200
    return _private(Response(render_template("public/link_recovery.html", event=event,
                                             form=form), status=status))


@bp.get("/me/<token>")
@public_page_limit
def me(token: str) -> ResponseReturnValue:
    attendee = get_attendee_for_token_or_404(token)
    now_next = now_and_next(attendee.event, attendee, utcnow())
    changed = agenda_last_changed(attendee)
    return _private(Response(render_template("public/me.html", attendee=attendee,
                                             event=attendee.event, agenda=agenda_for(attendee),
                                             now_next=now_next,
                                             agenda_changed=local_label(attendee.event, changed),
                                             agenda_changed_at=changed.isoformat() if changed else "",
                                             listing_form=listing_form(attendee))))


@bp.get("/me/<token>/now.json")
@public_page_limit
def now_json(token: str) -> ResponseReturnValue:
    """What the personal page's script polls: this attendee's now and next (their own
    meetings of the published version only) and when their agenda last changed."""
    attendee = get_attendee_for_token_or_404(token)
    now_next = now_and_next(attendee.event, attendee, utcnow())
    changed = agenda_last_changed(attendee)
    response = jsonify({
        "now_next": asdict(now_next) if now_next else None,
        "agenda_changed_at": changed.isoformat() if changed else None,
        "agenda_changed": local_label(attendee.event, changed),
    })
    return _private(response)


@bp.get("/me/<token>/qr.<fmt>")
@public_page_limit
def qr_code(token: str, fmt: str) -> ResponseReturnValue:
    """The badge QR: it carries only the opaque check-in code, never the page token."""
    attendee = get_attendee_for_token_or_404(token)
    if fmt == "png":
        return _private(Response(qr_png(attendee.checkin_code), mimetype="image/png"))
    if fmt == "svg":
        return _private(Response(qr_svg(attendee.checkin_code), mimetype="image/svg+xml"))
    abort(404)


@bp.get("/me/<token>/agenda.ics")
@public_page_limit
def calendar(token: str) -> ResponseReturnValue:
    attendee = get_attendee_for_token_or_404(token)
    data = cached_for_attendee("agenda.ics", attendee, lambda: calendar_for(attendee))
    response = Response(data, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{attendee.event.slug}.ics"'
    return _private(response)
