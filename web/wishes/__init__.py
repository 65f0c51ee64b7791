"""Attendees have a say: the event's directory of people who opted in, and their wishes
(Must, Want, No) that the planner weighs (stored with the attendees, ``web.attendees.wishes``).

Attendee pages under ``/me/<token>/directory`` (the personal token is the credential), the
organisers' demand page and directory under ``/console/<slug>/wishes/``, JSON in ``api.py``.
"""

from flask import Blueprint

bp = Blueprint("wishes", __name__, template_folder="templates")

from web.wishes import routes  # noqa: E402,F401
