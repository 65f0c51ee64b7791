"""Organiser console: the attendees of an event (import, list, search, add, edit, remove)."""

from flask import Blueprint

bp = Blueprint("attendees", __name__, template_folder="templates",
               url_prefix="/console/<slug>/attendees")

from web.attendees import pairs, routes, services  # noqa: E402,F401  (services answers the events' signals)
