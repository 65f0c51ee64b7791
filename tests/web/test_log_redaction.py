"""No log line carries a credential: the personal page's token, the display key, a reset
link's token or a check-in code is written as ``[redacted]``."""

from __future__ import annotations

import logging
import urllib.request

import pytest

from tests.support.browser import serve_in_thread
from web.logs import REDACTED, RedactSecrets, log_action, redact


def test_a_request_to_the_personal_page_is_logged_without_its_token(app, make_event, make_attendee, caplog):
    event = make_event()
    ana = make_attendee(event, name="Ana Lima")
    with caplog.at_level(logging.INFO, logger="werkzeug"), serve_in_thread(app) as base:
        for path in (f"/me/{ana.token}", f"/me/{ana.token}/agenda.ics"):
            with urllib.request.urlopen(base + path) as answer:
                assert answer.status == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /me/" in logged  # the request line is there...
    assert ana.token not in logged  # ...without the token
    assert f"/me/{REDACTED}/agenda.ics" in logged


@pytest.mark.parametrize("line, secret", [
    ('"GET /me/Zm9vYmFyLXRva2VuLXZhbHVl HTTP/1.1" 200 -', "Zm9vYmFyLXRva2VuLXZhbHVl"),
    ('"GET /display/summit/k3yV4lue/state.json HTTP/1.1" 200', "k3yV4lue"),
    ('"GET /display/summit/k3yV4lue?bell=1 HTTP/1.1" 200', "k3yV4lue"),
    ('"GET /account/reset/r3setT0ken HTTP/1.1" 200', "r3setT0ken"),
    ('"POST /e/summit/confirm/c0nf1rmT0ken HTTP/1.1" 303', "c0nf1rmT0ken"),
    ('"GET /api/v1/me/Zm9vYmFyLXRva2Vu/wishes HTTP/1.1" 200', "Zm9vYmFyLXRva2Vu"),
    ('"POST /checkin/summit/scan?code=c0deC0de&x=1 HTTP/1.1" 200', "c0deC0de"),
])
def test_every_kind_of_secret_in_a_path_or_query_is_redacted(line, secret):
    cleaned = redact(line)
    assert secret not in cleaned and REDACTED in cleaned


def test_addresses_without_secrets_are_left_as_they_are():
    for line in ('"GET /display/summit/state.json HTTP/1.1"', '"GET /console/summit/attendees/?q=ana"',
                 '"GET /static/display.js HTTP/1.1"'):
        assert redact(line) == line


def test_our_own_lines_are_redacted_in_message_and_fields(caplog):
    logger = logging.getLogger("speednet.test-redaction")
    logger.addFilter(RedactSecrets())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.warning("database lock timeout during %s %s", "GET", "/me/s3cretT0ken/now.json")
        log_action(logger, "visit", path="/me/s3cretT0ken")
    logged = " ".join(record.getMessage() + str(getattr(record, "speednet_fields", ""))
                      for record in caplog.records)
    assert "s3cretT0ken" not in logged and logged.count(REDACTED) == 2


def test_gunicorns_access_log_is_redacted(app, caplog):
    """gunicorn writes its access line with a format and a dict of atoms (%(r)s: the request line)."""
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logging.getLogger("gunicorn.access").info('%(h)s "%(r)s" %(s)s', {
            "h": "10.0.0.7", "r": "GET /me/s3cretT0ken/agenda.pdf HTTP/1.1", "s": "200"})
    (record,) = [r for r in caplog.records if r.name == "gunicorn.access"]
    assert record.getMessage() == f'10.0.0.7 "GET /me/{REDACTED}/agenda.pdf HTTP/1.1" 200'
