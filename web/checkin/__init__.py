"""Event-day check-in: the kiosk pages for staff (``bp``, under /checkin) and the JSON API for
scanners and other kiosks (``web.checkin.api.api_bp``, under /api/v1)."""

from flask import Blueprint

bp = Blueprint("checkin", __name__, template_folder="templates", url_prefix="/checkin")

from web.checkin import routes  # noqa: E402,F401  (registers the views on bp)
from web.checkin import states  # noqa: E402,F401  (answers the attendees' check-in lookup)
