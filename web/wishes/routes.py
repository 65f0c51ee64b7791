"""Directory and wish pages (thin; see services and demand).

Attendees reach the directory from their personal page (``/me/<token>/directory``: the
token is the credential, as on every /me page); organisers see it and the demand figures in
the console. Every answer to an attendee is private (no-store, noindex).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.attendees.models import Attendee
from web.attendees.services import get_attendee_for_token_or_404
from web.attendees.wishes import WishLevel, wishes_given
from web.auth.decorators import organiser_required
from web.events.models import Event
from web.events.services import get_event_or_404
from web.events.signals import ConsoleLink, console_links
from web.extensions import public_page_limit
from web.types import utcnow
from web.wishes import bp
from web.wishes.demand import demand_of
from web.wishes.forms import CLEAR, ListingForm, WishForm
from web.wishes.services import (
    LEVEL_LABELS,
    Filters,
    WishRefused,
    allowances,
    closing_label,
    directory_for,
    listed_rows,
    my_wishes,
    set_listing,
    set_wish,
    vocabulary,
    wishes_closed,
)

PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store",
           "Referrer-Policy": "no-referrer"}


def _private(body: str, status: int = 200) -> Response:
    return Response(body, status=status, headers=PRIVATE)


def filters_from(values: Mapping[str, str]) -> Filters:
    """The directory's filters from query arguments or the wish form's hidden fields (each
    held to 100 characters)."""
    get = values.get
    return Filters(competency=(get("competency") or "")[:100], partner_type=(get("partner_type") or "")[:100],
                   region=(get("region") or "")[:100], q=(get("q") or "")[:100])


def _filter_args(filters: Filters) -> dict[str, str]:
    return {name: value for name, value in (("competency", filters.competency),
                                            ("partner_type", filters.partner_type),
                                            ("region", filters.region), ("q", filters.q)) if value}


def render_directory(attendee: Attendee, status: int = 200, error: str = "") -> Response:
    event = attendee.event
    filters = filters_from(request.args if request.method == "GET" else request.form)
    now = utcnow()
    return _private(render_template(
        "wishes/directory.html", attendee=attendee, event=event, filters=filters,
        directory=directory_for(attendee, filters), vocabulary=vocabulary(event),
        allowances=allowances(event, wishes_given(attendee.id)), mine=my_wishes(attendee),
        closed=wishes_closed(event, now), closing=closing_label(event), labels=LEVEL_LABELS,
        levels=list(WishLevel), filter_args=_filter_args(filters), error=error), status)


@bp.get("/me/<token>/directory")
@public_page_limit
def directory(token: str) -> ResponseReturnValue:
    attendee = get_attendee_for_token_or_404(token)
    return render_directory(attendee)


@bp.post("/me/<token>/directory/<ext_id>")
@public_page_limit
def wish(token: str, ext_id: str) -> ResponseReturnValue:
    """One tap: Must, Want, No on a person, or take the wish back; refused wishes come back
    on the page with the reason (422)."""
    attendee = get_attendee_for_token_or_404(token)
    form = WishForm()
    if not form.validate_on_submit():
        return render_directory(attendee, 400, "That did not work; please try again.")
    level = None if form.level.data == CLEAR else WishLevel(form.level.data)
    try:
        set_wish(attendee, ext_id[:64], level, utcnow())
    except WishRefused as exc:
        return render_directory(attendee, 422, str(exc))
    args: dict[str, Any] = {"token": token, **_filter_args(filters_from(request.form))}
    target = url_for("wishes.directory", **args)
    return redirect(f"{target}#p-{ext_id[:64]}", 303)


@bp.post("/me/<token>/listing")
@public_page_limit
def listing(token: str) -> ResponseReturnValue:
    """The personal page's opt-in: listed from now (or off the directory at once)."""
    attendee = get_attendee_for_token_or_404(token)
    form = ListingForm()
    if form.validate_on_submit():
        set_listing(attendee, bool(form.listed.data), form.looking_for.data, utcnow())
        flash("You are in the directory." if form.listed.data else "You are not in the directory.", "success")
    else:
        flash("Not saved: " + "; ".join(e for errors in form.errors.values() for e in errors), "error")
    return redirect(url_for("public.me", token=token) + "#directory", 303)


def listing_form(attendee: Attendee) -> ListingForm:
    """The opt-in form as the personal page shows it (the page that includes
    ``wishes/_me_directory.html`` passes it as ``listing_form``)."""
    return ListingForm(data={"listed": attendee.directory_listed_at is not None,
                             "looking_for": attendee.looking_for or ""})


# --------------------------------------------------------------------------- organisers


@bp.get("/console/<slug>/wishes/")
@organiser_required
def demand(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    return render_template("wishes/demand.html", event=event, demand=demand_of(event),
                           closing=closing_label(event))


@bp.get("/console/<slug>/wishes/directory")
@organiser_required
def organiser_directory(slug: str) -> ResponseReturnValue:
    """The directory as attendees see it (without anyone's wishes), for the organisers."""
    event = get_event_or_404(slug)
    filters = filters_from(request.args)
    rows = [row for row in listed_rows(event) if filters.keeps(row)]
    return render_template("wishes/organiser_directory.html", event=event, rows=rows, filters=filters,
                           vocabulary=vocabulary(event))


@console_links.connect
def _demand_link(_sender: object, *, event: Event, **_: object) -> list[ConsoleLink]:
    return [ConsoleLink("Wishes and directory", url_for("wishes.demand", slug=event.slug), 55)]
