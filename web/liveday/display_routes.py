"""The room display: a read-only, full-screen page for the projector, at a secret address.

Its address is ``/display/<slug>/<key>``: the slug is short and readable, so the event's own
display key (``Event.display_key``, compared in constant time, renewed by the organiser on the
live page) is what opens it; without it, or with an old one, the page and its state.json
answer 404 like an unknown event. It shows what the room already shows on the tables (names,
companies, table numbers), only once a round is announced, and nothing else. ``display.js`` polls ``state.json``, counts down locally and pages through as
many rows as the screen holds; without JavaScript the page renders one page of the table list
and refreshes itself to the next.

Options in the address, for the person setting up the projector: ``?bell=1`` rings a bell
(Web Audio, no sound file) at the end of each round, once someone clicks "Click to enable
sound" (browsers allow no sound before a click); ``?page_seconds=N`` (4-120, default 10) is
how long each screen of names stays up.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, abort, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue

from web.events.models import Event
from web.events.services import Access, get_event_or_404
from web.extensions import public_page_limit
from web.liveday import display_bp
from web.liveday.services import DISPLAY_PAGE_SIZE, display_page, display_state, format_seconds
from web.types import utcnow

REFRESH_SECONDS = 15
PAGE_SECONDS = (4, 120, 10)       # least, most, default


@dataclass(frozen=True)
class DisplayOptions:
    bell: bool = False
    page_seconds: int = PAGE_SECONDS[2]

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> DisplayOptions:
        """Options from the query string; anything unreadable falls back to the default (a
        projector has nobody to read an error message)."""
        bell = (args.get("bell") or "").strip().lower() in ("1", "on", "yes", "true")
        try:
            seconds = int(args.get("page_seconds") or PAGE_SECONDS[2])
        except ValueError:
            seconds = PAGE_SECONDS[2]
        return cls(bell, min(max(seconds, PAGE_SECONDS[0]), PAGE_SECONDS[1]))

    def query(self) -> dict[str, str]:
        """The options as query arguments, so the no-script page keeps them when it turns."""
        args = {}
        if self.bell:
            args["bell"] = "1"
        if self.page_seconds != PAGE_SECONDS[2]:
            args["page_seconds"] = str(self.page_seconds)
        return args


def _require_key(event: Event, key: str) -> None:
    """404 unless ``key`` is the event's display key: the same answer as an unknown event, so
    a guess learns nothing, and an old key (renewed by the organiser) stops at once."""
    if not event.display_key_matches(key):
        abort(404)


def _no_index(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "no-store"
    return response


@display_bp.get("/<slug>/<key>")
@public_page_limit
def display(slug: str, key: str) -> ResponseReturnValue:
    event = get_event_or_404(slug, access=Access.PUBLIC)
    _require_key(event, key)
    state = display_state(event, utcnow())
    page = request.args.get("page", default=1, type=int) or 1
    rows, page, pages = display_page(state["tables"], page)
    options = DisplayOptions.from_args(request.args)
    values: dict[str, Any] = {"slug": event.slug, "key": key, "page": (page % pages) + 1, **options.query()}
    next_page_url = url_for("display.display", **values)
    response = Response(render_template(
        "liveday/display.html", event=event, display_key=key, state=state, rows=rows, page=page, pages=pages,
        per_page=DISPLAY_PAGE_SIZE, refresh=REFRESH_SECONDS, options=options, next_page_url=next_page_url,
        countdown=state["starts"] or format_seconds(state["clock"]["seconds_to_next_bell"]),
    ))
    return _no_index(response)


@display_bp.get("/<slug>/<key>/state.json")
@public_page_limit
def state_json(slug: str, key: str) -> ResponseReturnValue:
    event = get_event_or_404(slug, access=Access.PUBLIC)
    _require_key(event, key)
    return _no_index(jsonify(display_state(event, utcnow())))
