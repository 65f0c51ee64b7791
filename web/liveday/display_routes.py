"""The room display: a public, read-only, full-screen page for the projector.

It shows what the room already shows on the tables (names, companies, table numbers) and
nothing else. ``display.js`` polls ``state.json`` and counts down locally; without JavaScript
the page renders one page of the table list and refreshes itself to the next.
"""

from __future__ import annotations

from flask import Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue

from web.events.services import get_event_or_404
from web.extensions import public_page_limit
from web.liveday import display_bp
from web.liveday.services import DISPLAY_PAGE_SIZE, display_page, display_state, format_seconds
from web.types import utcnow

REFRESH_SECONDS = 15


def _no_index(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@display_bp.get("/<slug>")
@public_page_limit
def display(slug: str) -> ResponseReturnValue:
    event = get_event_or_404(slug)
    state = display_state(event, utcnow())
    page = request.args.get("page", default=1, type=int) or 1
    rows, page, pages = display_page(state["tables"], page)
    response = Response(render_template(
        "liveday/display.html", event=event, state=state, rows=rows, page=page, pages=pages,
        per_page=DISPLAY_PAGE_SIZE, refresh=REFRESH_SECONDS,
        countdown=format_seconds(state["clock"]["seconds_to_next_bell"]),
    ))
    return _no_index(response)


@display_bp.get("/<slug>/state.json")
@public_page_limit
def state_json(slug: str) -> ResponseReturnValue:
    return _no_index(jsonify(display_state(get_event_or_404(slug), utcnow())))
