"""The attendee's own data, from their personal page: see it (/me/<token>/data), download it
(/me/<token>/data.json) and have it erased (/me/<token>/erase: a confirmation, then the POST).

The personal token is the credential, as on /me. Every answer is private and never stored
(``Cache-Control: no-store``). The data and the erasure are :mod:`web.schedules.privacy`'s.
"""

from __future__ import annotations

import json

from flask import Response, render_template
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm

from web.attendees.services import get_attendee_for_token_or_404
from web.extensions import public_page_limit
from web.public import bp
from web.schedules.privacy import erase_attendee, personal_data
from web.urls import public_url

PRIVATE = {"X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store",
           "Referrer-Policy": "no-referrer"}


def _private(response: Response) -> Response:
    response.headers.update(PRIVATE)
    return response


@bp.get("/me/<token>/data")
@public_page_limit
def my_data(token: str) -> ResponseReturnValue:
    """Everything stored about the attendee, on one page, with the download and erase links."""
    attendee = get_attendee_for_token_or_404(token)
    data = personal_data(attendee, public_url("public.me", token=token))
    return _private(Response(render_template("public/my_data.html", attendee=attendee,
                                             event=attendee.event, data=data)))


@bp.get("/me/<token>/data.json")
@public_page_limit
def my_data_json(token: str) -> ResponseReturnValue:
    """The same data as a JSON file to keep."""
    attendee = get_attendee_for_token_or_404(token)
    data = personal_data(attendee, public_url("public.me", token=token))
    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{attendee.event.slug}-my-data.json"'
    return _private(response)


@bp.route("/me/<token>/erase", methods=["GET", "POST"])
@public_page_limit
def erase_me(token: str) -> ResponseReturnValue:
    """Ask first (what goes, what stays), erase on the confirmed POST. Afterwards the token
    opens nothing: the answer is a page without it."""
    attendee = get_attendee_for_token_or_404(token)
    form = FlaskForm()
    event = attendee.event
    if form.validate_on_submit():
        erase_attendee(attendee, None, reason="request")
        return _private(Response(render_template("public/erased.html", event=event)))
    return _private(Response(render_template("public/erase.html", attendee=attendee, event=event,
                                             form=form)))
