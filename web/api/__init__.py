"""The JSON API under /api/v1 (APIFlask blueprints, bearer tokens, OpenAPI at
/api/v1/openapi.json). Token checking lives in :mod:`web.api.auth`; what the views do lives in
:mod:`web.api.services`."""

from apiflask import APIBlueprint

from web.extensions import csrf

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="Events")
# Bearer tokens only, never the sign-in cookie, so cross-site requests have nothing to forge
# with: CSRF tokens are not needed (and API clients could not send them).
csrf.exempt(bp)

from web.api import routes  # noqa: E402,F401
