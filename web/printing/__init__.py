"""Printing in the web app: badges, agendas, table sheets, master grid and check-in list as PDF
downloads (organiser console), each attendee's own agenda behind their personal link, and the
``flask --app web print ...`` commands. Rendering itself is the ``badges`` package; this
feature picks the rows, converts them to domain values and streams the result."""

from flask import Blueprint

bp = Blueprint("printing", __name__, template_folder="templates")

from web.printing import routes  # noqa: E402,F401
