"""Absolute links as attendees reach the site (used by every feature that hands out a link).

An answer read later or elsewhere (an API client, an e-mail) cannot use the host name of the
request that built it (behind a reverse proxy that is often ``127.0.0.1:8000``), so
``SPEEDNET_PUBLIC_URL`` names the address attendees use. Without it the request's own address
is used, which is right for a server that people reach directly. Imports no feature, so the
lowest feature may use it for a higher one's page (the endpoint is named by string).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint`` under ``PUBLIC_URL`` (or the request's address)."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


def public_url_anywhere(endpoint: str, **values: Any) -> str | None:
    """:func:`public_url` where there may be no request (a mail written by a background job):
    under ``PUBLIC_URL`` always; without it only in a request, else None (the address
    attendees use is unknown)."""
    base = current_app.config.get("PUBLIC_URL")
    if has_request_context():
        return public_url(endpoint, **values)
    if not base:
        return None
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    return base + current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)
