"""Schedules: plan an event in a background job, review versions (grid, one attendee, quality),
compare with the published version and publish, export as CSV/XLSX.

Models in ``models.py``; one module per job: ``planning`` (plan jobs), ``versions`` (store and
read), ``revisions`` (revise the published version), ``publishing``, ``diffs`` (whose agenda
changes), ``views`` (grid, agenda, quality), ``exports``, ``personal`` (one attendee's part),
``guards`` (what settings changes would break); organiser pages in ``routes.py`` under
``/console/<slug>/schedule/`` and ``/console/<slug>/jobs/``, the API in ``api.py``.
"""

from flask import Blueprint

bp = Blueprint("schedules", __name__, template_folder="templates", url_prefix="/console/<slug>")

from web.schedules import guards, routes  # noqa: E402,F401  (guards answers the events' signals)
