"""Organiser pages: an event's outbox and "send personal links" (thin; see services)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.auth.decorators import organiser_required
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.mail import bp
from web.mail.forms import SendLinksForm
from web.mail.messages import local_time, new_batch_id, plan_send_links, send_personal_links
from web.mail.models import STATES
from web.mail.services import RESENDABLE, outbox_page, requeue, smtp_settings, state_counts
from web.wording import plural

PAGE_SIZE = 100  # messages per outbox page


@bp.get("/<slug>/mail/")
@organiser_required
def outbox(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    state = request.args.get("state", "")
    if state not in STATES:
        state = ""
    page = outbox_page(event.id, state=state or None, page=request.args.get("page", 1, type=int) or 1,
                       per_page=PAGE_SIZE)
    counts = state_counts(event.id)
    return render_template("mail/outbox.html", event=event, page=page, messages=page.messages, state=state,
                           states=STATES, counts=counts, smtp=smtp_settings(), local_time=local_time,
                           resendable=sum(counts.get(s, 0) for s in RESENDABLE))


@bp.post("/<slug>/mail/resend")
@organiser_required
def resend(slug: str) -> ResponseReturnValue:
    """Send held and failed messages again (once an SMTP server is configured)."""
    event = get_event_or_404(slug)
    if smtp_settings() is None:
        abort(409, "No SMTP server is configured: the messages would only be held again.")
    count = requeue(event.id)
    flash(f"Queued {count} message{'' if count == 1 else 's'} again.", "success")
    return redirect(url_for("mail.outbox", slug=event.slug))


@bp.route("/<slug>/mail/send-links", methods=["GET", "POST"])
@organiser_required
def send_links(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    form = SendLinksForm()
    if form.validate_on_submit():
        queued, without = send_personal_links(event, form.scope.data, form.batch.data)
        flash(f"Queued {plural(queued, 'message')}; {plural(without, 'attendee has', 'attendees have')} "
              "no e-mail address.", "success")
        return redirect(url_for("mail.outbox", slug=event.slug))
    if not form.is_submitted():
        form.batch.data = new_batch_id()
    unsent = plan_send_links(event, "unsent")
    everyone = plan_send_links(event, "all")
    status = 422 if form.errors else 200
    return render_template("mail/send_links.html", event=event, form=form, unsent=unsent,
                           everyone=everyone, smtp=smtp_settings()), status


@console_links.connect
def _console_links(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    """Mail's pages on the event's overview (web.events.signals.console_links)."""
    return [ConsoleLink("E-mail: outbox and personal links", url_for("mail.outbox", slug=event.slug), 90)]
