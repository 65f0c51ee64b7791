"""The JSON API under /api/v1 (APIFlask blueprints, bearer tokens, OpenAPI at
/api/v1/openapi.json). Token checking lives in :mod:`web.api.auth`."""
