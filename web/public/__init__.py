"""Attendee-facing pages: self-registration (/e/<slug>/register), the personal page
(/me/<token>), its QR code and calendar file. No login: the personal token is the credential."""

from flask import Blueprint

bp = Blueprint("public", __name__, template_folder="templates")

from web.public import privacy, routes  # noqa: E402,F401
from web.urls import public_url  # noqa: E402

bp.add_app_template_global(public_url)
