"""Sign-in for organisers and check-in staff; roles; API tokens."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from web.auth import accounts, routes, tokens  # noqa: E402,F401  (registers the views on bp)
from web.auth.decorators import role_required  # noqa: E402,F401
