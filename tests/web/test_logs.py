"""The structured log line format: readable, parseable, and safe from the user text it quotes."""

from __future__ import annotations

import io
import json
import logging

import pytest

from web.logs import JsonFormatter, TextFormatter, configure_logging, fields_of, log_action


def _line(formatter: logging.Formatter, action: str, **fields) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("speednet.test-logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        log_action(logger, action, **fields)
    finally:
        logger.handlers.clear()
        logger.propagate = True
    return stream.getvalue()


def test_text_lines_are_action_then_key_value_fields():
    line = _line(TextFormatter(), "checkin", event="summit", attendee="A012", result="welcome",
                 late=True, ms=4.25, staff=None)
    assert line.endswith(" INFO speednet.test-logs checkin event=summit attendee=A012 result=welcome "
                         "late=true ms=4.25\n")
    assert "staff" not in line  # None fields are left out


@pytest.mark.parametrize("hostile", ["Ana\nINFO speednet.checkin checkin attendee=A999",
                                     'x" result=welcome', "Zoë Ågren", "a=b c=d", ""])
def test_user_text_cannot_forge_a_line_or_a_field(hostile):
    line = _line(TextFormatter(), "import", event="summit", file=hostile)
    assert line.count("\n") == 1  # one record, one line
    value = line.split(" file=", 1)[1].rstrip("\n")
    assert json.loads(value) == hostile  # quoted and escaped whenever it is not a bare word


def test_json_lines_carry_the_same_fields():
    record = json.loads(_line(JsonFormatter(), "publish", event="summit", version=3, agendas_changed=12))
    assert record["action"] == "publish" and record["level"] == "INFO"
    assert {key: record[key] for key in ("event", "version", "agendas_changed")} == \
        {"event": "summit", "version": 3, "agendas_changed": 12}


def test_fields_are_on_the_record_for_tests_and_handlers(caplog):
    caplog.set_level(logging.INFO, logger="speednet.test-logs")
    log_action(logging.getLogger("speednet.test-logs"), "job", job="j1", outcome="done")
    (record,) = caplog.records
    assert record.getMessage() == "job" and dict(fields_of(record)) == {"job": "j1", "outcome": "done"}


def test_configuration_is_checked_and_adds_one_handler(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    with pytest.raises(ValueError, match="SPEEDNET_LOG_FORMAT"):
        configure_logging({"SPEEDNET_LOG_FORMAT": "xml"})
    with pytest.raises(ValueError, match="SPEEDNET_LOG_LEVEL"):
        configure_logging({"SPEEDNET_LOG_LEVEL": "LOUD"})
    level = root.level
    try:
        configure_logging({"SPEEDNET_LOG_FORMAT": "json", "SPEEDNET_LOG_LEVEL": "warning"})
        configure_logging({})  # a second call keeps the first handler
        assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        root.setLevel(level)
