"""Schedules: plan an event in a background job, review versions (grid, one attendee, quality),
compare with the published version and publish, export as CSV/XLSX.

Models in ``models.py``; one module per job: ``planning`` (plan jobs), ``versions`` (store and
read), ``revisions`` (revise the published version), ``publishing``, ``diffs`` (whose agenda
changes), ``views`` (grid, agenda, quality), ``exports``, ``personal`` (one attendee's part),
``settings_guard`` (what a settings change would break), ``guards`` (what schedules adds to
the event's console pages through the events' signals); organiser pages in ``routes.py`` under
``/console/<slug>/schedule/`` and ``/console/<slug>/jobs/``, the event's edit page
(``event_settings``) and the event API (``event_api``) on the events feature's blueprints, the
schedule API in ``api.py``.
"""

from flask import Blueprint

bp = Blueprint("schedules", __name__, template_folder="templates", url_prefix="/console/<slug>")

# guards answers the events' signals; event_settings and event_api add the routes they own to the
# events feature's blueprints (imported here, before create_app registers those).
from web.schedules import event_api, event_settings, guards, privacy, privacy_routes, routes  # noqa: E402,F401
