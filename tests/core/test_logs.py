"""Log formats: the JSON line's fields, the plain line, the choice between them, and gunicorn's
access line built from its request atoms."""

import io
import json
import logging
import sys
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from core.observability.gunicorn import GunicornLogger
from core.observability.logs import JsonFormatter, PlainFormatter, RequestIdFilter, log_format_choose
from core.observability.request_id import _current


def _emit(formatter, message, *args, exc_info=None, **extra):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("casedesk.test.formats")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *args, exc_info=exc_info, extra=extra or None)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    return stream.getvalue()


def test_a_json_line_has_the_common_fields_first_and_the_extras():
    token = _current.set("req-json-1")
    try:
        output = _emit(JsonFormatter(), "case %s opened", 42, case_id=42)
    finally:
        _current.reset(token)

    assert output.count("\n") == 1
    line = json.loads(output)
    assert list(line)[:5] == ["timestamp", "level", "logger", "message", "request_id"]
    assert line["level"] == "WARNING" and line["logger"] == "casedesk.test.formats"
    assert line["message"] == "case 42 opened"
    assert line["request_id"] == "req-json-1" and line["case_id"] == 42
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() == timedelta(0)


def test_an_exception_stays_on_one_json_line():
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        output = _emit(JsonFormatter(), "failed", exc_info=True)

    assert output.count("\n") == 1
    line = json.loads(output)
    assert line["request_id"] is None
    assert line["exc_info"].startswith("Traceback") and "ValueError: bad\nvalue" in line["exc_info"]


def test_a_plain_line_shows_the_request_id_or_a_dash():
    assert "WARNING casedesk.test.formats [-] hello" in _emit(PlainFormatter(), "hello")
    token = _current.set("req-plain-1")
    try:
        assert "[req-plain-1] hello" in _emit(PlainFormatter(), "hello")
    finally:
        _current.reset(token)


@pytest.mark.parametrize(
    ("value", "debug", "chosen"),
    [(None, False, "json"), ("", True, "plain"), ("plain", False, "plain"), ("JSON", True, "json")],
)
def test_the_format_is_json_unless_debug_or_chosen(value, debug, chosen):
    assert log_format_choose(value, debug=debug) == chosen


def test_an_unknown_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of json, plain"):
        log_format_choose("xml", debug=False)


def _gunicorn_access_line(monkeypatch, capsys, log_format):
    monkeypatch.setenv("LOG_FORMAT", log_format)
    config = Config()
    config.set("accesslog", "-")
    logger = GunicornLogger(config)
    response = SimpleNamespace(
        status="201 Created",
        headers=[("Content-Type", "application/json"), ("X-Request-ID", "req-access-1")],
        sent=1096,
    )
    request = SimpleNamespace(headers=[("USER-AGENT", 'curl/8 "quoted"')])
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/api/v1/cases/?x=1",
        "PATH_INFO": "/api/v1/cases/",
        "QUERY_STRING": "x=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_USER_AGENT": 'curl/8 "quoted"',
    }
    logger.access(response, request, environ, timedelta(milliseconds=12, microseconds=345))
    for handler in logger.access_log.handlers:
        handler.flush()
    return capsys.readouterr().out


def test_gunicorns_access_line_is_json_with_the_request_fields(monkeypatch, capsys):
    output = _gunicorn_access_line(monkeypatch, capsys, "json")

    assert output.count("\n") == 1
    line = json.loads(output)
    assert line["logger"] == "gunicorn.access" and line["message"] == "POST /api/v1/cases/ 201"
    assert {key: line[key] for key in ("method", "path", "query", "status", "duration_ms", "bytes")} == {
        "method": "POST",
        "path": "/api/v1/cases/",
        "query": "x=1",
        "status": 201,
        "duration_ms": 12.345,
        "bytes": 1096,
    }
    assert line["request_id"] == "req-access-1"  # from the response's X-Request-ID
    assert line["remote_addr"] == "10.0.0.7"
    assert line["user_agent"] == 'curl/8 "quoted"'  # no backslashes added: JSON escapes quotes itself


def test_gunicorns_access_line_stays_gunicorns_own_in_plain_format(monkeypatch, capsys):
    output = _gunicorn_access_line(monkeypatch, capsys, "plain")

    assert '"POST /api/v1/cases/?x=1 HTTP/1.1" 201 1096' in output
    with pytest.raises(json.JSONDecodeError):
        json.loads(output)


@pytest.fixture(autouse=True)
def _gunicorn_loggers_restored():
    """GunicornLogger configures the process-wide gunicorn.* loggers: leave them as found."""
    saved = {name: list(logging.getLogger(name).handlers) for name in ("gunicorn.access", "gunicorn.error")}
    yield
    for name, handlers in saved.items():
        logging.getLogger(name).handlers = handlers
    sys.stdout.flush()
