"""Organiser console: events (list, create, edit, overview, team)."""

from flask import Blueprint

bp = Blueprint("events", __name__, template_folder="templates", url_prefix="/console")

from web.events import routes, team  # noqa: E402,F401
