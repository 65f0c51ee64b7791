"""Event day: the event clock, live re-planning and the room display.

Blueprints: ``bp`` (organiser console, /console/<slug>/live/), ``display_bp`` (the public room
display, /display/<slug>) and ``web.liveday.api.api_bp`` (re-plan under /api/v1).
Logic lives in :mod:`web.liveday.clock` and :mod:`web.liveday.services`.
"""

from flask import Blueprint

bp = Blueprint("liveday", __name__, template_folder="templates", url_prefix="/console")
display_bp = Blueprint("display", __name__, template_folder="templates", url_prefix="/display")

from web.liveday import autorevise, display_routes, routes  # noqa: E402,F401
