"""Infrastructure of the JSON API under /api/v1 (OpenAPI at /api/v1/openapi.json).

Each feature keeps its endpoints beside its routes, in ``web/<feature>/api.py``, on its own
blueprint from :func:`feature_blueprint`: one URL prefix, one CSRF exemption and one tag per
feature, so the app's single OpenAPI document groups the endpoints by feature and a feature's
request hooks (check-in's autocommit) apply to its endpoints only. Token checking lives in
:mod:`web.api.auth`, typed fields for answers computed from a row in :mod:`web.api.fields`.
This package imports no feature; the app factory imports the features' api modules.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint, Schema
from flask import Response, jsonify

from web.extensions import csrf

API_PREFIX = "/api/v1"

#: What a view with an output schema returns: the object the schema dumps (a row, a result, a
#: list of them), alone or with a status and headers, or a ready response. APIFlask dumps it;
#: Flask's ``ResponseReturnValue`` only knows values that are JSON already.
SchemaAnswer = Any


def feature_blueprint(name: str, import_name: str, tag: str, description: str) -> APIBlueprint:
    """A feature's API blueprint under /api/v1, its endpoints tagged ``tag`` in the document.

    Bearer tokens only, never the sign-in cookie, so cross-site requests have nothing to forge
    with: CSRF tokens are not needed (and API clients could not send them).
    """
    bp = APIBlueprint(name, import_name, url_prefix=API_PREFIX,
                      tag={"name": tag, "description": description})
    csrf.exempt(bp)
    return bp


def schema_answer(schema: Schema, data: Any, status: int) -> Response:
    """An answer whose body ``schema`` describes rather than the view's output schema (a 409
    that lists conflicts, a 422 that lists a file's errors): dumped through the schema, which
    the view also names in its documented responses."""
    response = jsonify(schema.dump(data))
    response.status_code = status
    return response
