"""Schedules: plan an event in a background job, review versions (grid, one attendee, quality),
compare with the published version and publish, export as CSV/XLSX.

Models in ``models.py``; operations in ``services.py``; organiser pages in ``routes.py`` under
``/console/<slug>/schedule/`` and ``/console/<slug>/jobs/``.
"""

from flask import Blueprint

bp = Blueprint("schedules", __name__, template_folder="templates", url_prefix="/console/<slug>")

from web.schedules import guards, routes  # noqa: E402,F401  (guards answers the events' signals)
