"""Event-day check-in: the kiosk pages for staff (``bp``, under /checkin) and the JSON API for
scanners and other kiosks (``web.checkin.api.api_bp``, under /api/v1)."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates", url_prefix="/checkin")

# Imported for what importing does: routes registers the views on bp, states answers the
# attendees' check-in lookup signal.
from web.checkin import routes, states  # noqa: E402,F401
