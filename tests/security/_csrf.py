"""Reading a client's CSRF token from a page it can see (every signed-in page has the sign-out
form; anonymous visitors get one on the sign-in page)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

_TOKEN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')


def token_of(client: FlaskClient) -> str:
    for url in ("/login", "/console/", "/no-such-page"):
        found = _TOKEN.search(client.get(url).get_data(as_text=True))
        if found:
            return found.group(1)
    raise AssertionError("no page shows this client a CSRF token")
