"""Organiser console: events (list, create, edit, overview)."""

from flask import Blueprint

bp = Blueprint("events", __name__, template_folder="templates", url_prefix="/console")

from web.events import routes  # noqa: E402,F401
