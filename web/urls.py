"""Absolute links as attendees reach the site (used by every feature that hands out a link).

An answer read later or elsewhere (an API client, an e-mail) cannot use the host name of the
request that built it (behind a reverse proxy that is often ``127.0.0.1:8000``), so
``SPEEDNET_PUBLIC_URL`` names the address attendees use. Without it pages shown on screen use the
request's own address; mail never does (:func:`mail_url`). Imports no feature, so the
lowest feature may use it for a higher one's page (the endpoint is named by string).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for ``endpoint`` under ``PUBLIC_URL`` (or the request's address)."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    return base + url_for(endpoint, **values)


class PublicUrlMissing(RuntimeError):
    """A link for a message was asked for without ``SPEEDNET_PUBLIC_URL``."""


def mail_url(endpoint: str, **values: Any) -> str:
    """An absolute URL for a message (mail, anything read away from the site): always under
    ``PUBLIC_URL``, never the request's Host header, which the client chooses (a forged
    ``Host: evil.example`` would otherwise put the attacker's site in front of a victim's
    personal token). Raises :class:`PublicUrlMissing` when it is unset."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        raise PublicUrlMissing("SPEEDNET_PUBLIC_URL is not set: mail with links cannot be written "
                               "(set it to the address attendees use, e.g. https://networking.example.com)")
    root = current_app.config.get("APPLICATION_ROOT") or "/"
    return base + current_app.url_map.bind("localhost", script_name=root).build(endpoint, values)


def public_url_anywhere(endpoint: str, **values: Any) -> str | None:
    """:func:`mail_url`, or None without ``PUBLIC_URL`` (the message then says to ask the
    organisers for the link). Never built from a request's address."""
    try:
        return mail_url(endpoint, **values)
    except PublicUrlMissing:
        return None
