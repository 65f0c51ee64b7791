"""Structured log lines: what happened at the door, in imports, publishes, revisions and jobs.

An organiser asking "did the kiosk at door 2 really check Ana in at 8:14?" or "which import
removed these people?" needs lines a person can read and a log shipper can parse. Each line is
an action and ``key=value`` fields (logfmt), or one JSON object per line with
``SPEEDNET_LOG_FORMAT=json``::

    2026-12-02 08:14:03,120 INFO speednet.checkin checkin event=summit attendee=A012 result=welcome via=kiosk

Values are quoted and escaped, so a name with a newline or ``key=value`` in it cannot forge a
second line or a field. Lines name attendees by their id in the event, never by name or
e-mail: logs travel further than the database.

No line carries a credential either: :class:`RedactSecrets` rewrites the personal-page token
in ``/me/<token>``, the display key in ``/display/<slug>/<key>``, reset-link tokens and
``token=``/``key=``/``code=`` query values to ``[redacted]``, in our lines, the dev server's
request log (werkzeug) and gunicorn's access and error logs (:func:`install_redaction`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

FIELDS = "speednet_fields"  # the LogRecord attribute that carries the fields
FORMATS = ("text", "json")
_BARE = re.compile(r"[A-Za-z0-9_.:/@+-]+")


REDACTED = "[redacted]"
_SEGMENT = r"[^/\s?#\"'<>]+"
_SECRETS = (
    # The personal page and everything under it: /me/<token>, /me/<token>/agenda.ics
    (re.compile(rf"(/me/){_SEGMENT}"), rf"\g<1>{REDACTED}"),
    # The room display's secret key: /display/<slug>/<key>[/state.json]
    (re.compile(rf"(/display/{_SEGMENT}/)(?!state\.json\b){_SEGMENT}"), rf"\g<1>{REDACTED}"),
    # A password-reset (or any other one-time) link: .../reset/<token>
    (re.compile(rf"(/reset/){_SEGMENT}"), rf"\g<1>{REDACTED}"),
    # The registration's double opt-in link: /e/<slug>/confirm/<token>
    (re.compile(rf"(/confirm/){_SEGMENT}"), rf"\g<1>{REDACTED}"),
    # Query values that are credentials: ?token=..., &key=..., &code=... (check-in codes)
    (re.compile(r"([?&;](?:token|key|code|display_key|reset)=)[^&;\s\"'#]+", re.IGNORECASE),
     rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    """``text`` with every personal token, display key, reset token and check-in code in a
    path or query replaced by ``[redacted]``: a log line may quote a request's address."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message (and its string fields) through :func:`redact`, so a
    request line such as ``"GET /me/<token> HTTP/1.1" 200`` is logged without the token.
    Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a broken format: leave it to the handler's own error
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        fields = getattr(record, FIELDS, None)
        if fields:
            setattr(record, FIELDS, {key: redact(value) if isinstance(value, str) else value
                                     for key, value in fields.items()})
        return True


# Loggers whose records quote request addresses: the dev server's request log, gunicorn's
# access and error logs, the app's own (``web`` and its children log through it).
REDACTED_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error", "web", "speednet")
_redaction = RedactSecrets()


def install_redaction(*loggers: logging.Logger) -> None:
    """Put the redaction filter on the request-logging loggers (and ``loggers``), and on every
    handler the root logger has, so records from any child logger pass it as well. Safe to
    call again (a filter is added once)."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in REDACTED_LOGGERS]
    targets += [*loggers, *logging.getLogger().handlers]
    for target in targets:
        if _redaction not in target.filters:
            target.addFilter(_redaction)


def log_action(logger: logging.Logger, action: str, /, level: int = logging.INFO, **fields: Any) -> None:
    """Log ``action`` with ``fields`` (None values left out) as one structured line."""
    if logger.isEnabledFor(level):
        kept = {key: value for key, value in fields.items() if value is not None}
        logger.log(level, action, extra={FIELDS: kept}, stacklevel=2)


def fields_of(record: logging.LogRecord) -> Mapping[str, Any]:
    """The fields of a line written by :func:`log_action` (empty for any other line)."""
    return getattr(record, FIELDS, {})


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger action key=value ...``; plain messages pass through with their
    newlines escaped (a message can quote user text)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record).replace("\r", "\\r").replace("\n", "\\n")
        fields = fields_of(record)
        if fields:
            line += " " + " ".join(f"{key}={_value(value)}" for key, value in fields.items())
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``time``, ``level``, ``logger``, ``action`` and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "action": record.getMessage(),
        }
        for key, value in fields_of(record).items():
            line.setdefault(key, value)
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(env: Mapping[str, str] | None = None) -> None:
    """One handler on the root logger, to stderr, from ``SPEEDNET_LOG_LEVEL`` (default INFO) and
    ``SPEEDNET_LOG_FORMAT`` (text or json). Does nothing when the root logger has a handler
    already (a test runner's, or gunicorn's logging config), so calling it twice is safe."""
    env = os.environ if env is None else env
    root = logging.getLogger()
    if root.handlers:
        return
    style = env.get("SPEEDNET_LOG_FORMAT", "text").strip().lower() or "text"
    if style not in FORMATS:
        raise ValueError(f"SPEEDNET_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {style!r}")
    level_name = env.get("SPEEDNET_LOG_LEVEL", "INFO").strip().upper() or "INFO"
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        raise ValueError(f"SPEEDNET_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {level_name!r}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else TextFormatter())
    handler.addFilter(_redaction)
    root.addHandler(handler)
    root.setLevel(level)
