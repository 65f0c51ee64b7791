"""Results: attendance and meetings held, as a console page and CSV/XLSX exports, for the
organiser's report and the follow-up with partners after the event.

Operations in ``services.py``; organiser pages in ``routes.py`` under ``/console/<slug>/results/``.
"""

from flask import Blueprint

bp = Blueprint("results", __name__, template_folder="templates", url_prefix="/console/<slug>/results")

from web.results import audit, routes  # noqa: E402,F401
