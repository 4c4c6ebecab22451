"""Error tracking: off without SENTRY_DSN; with one, a failing view and a failing task reach Sentry
through the real SDK transport, here a loopback HTTP server standing in for sentry.io.

Each case runs in a fresh interpreter: the SDK is initialised by config/settings.py as the
process starts, and patches Django and Celery process-wide."""

import gzip
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import json, os
import django
django.setup()
import sentry_sdk
from django.test import Client, override_settings
from django.test.utils import setup_test_environment
from config.celery import app

setup_test_environment()  # the test client's host name
with override_settings(ROOT_URLCONF="tests.core.urls_failing"):
    response = Client(raise_request_exception=False).get("/api/v1/failing/", HTTP_X_REQUEST_ID="sentry-probe-1")

@app.task(name="tests.sentry_probe_task")
def failing_task():
    raise KeyError("the task failed on purpose")

failing_task.apply()
sentry_sdk.flush(timeout=20)
print(json.dumps({"status": response.status_code, "active": sentry_sdk.get_client().is_active()}))
"""


class _Sink(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sentry_sink() -> Iterator[tuple[str, list[tuple[str, bytes]]]]:
    received: list[tuple[str, bytes]] = []
    handler = type("Sink", (_Sink,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://public-key@127.0.0.1:{server.server_address[1]}/42", received
    finally:
        server.shutdown()
        server.server_close()


def _run_probe(tmp_path, **env_extra: str) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SENTRY_") and key not in {"DATABASE_URL", "CELERY_BROKER_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SECRET_KEY="test-only-not-secret",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        CASEDESK_VAR_DIR=str(tmp_path),
        LOG_FORMAT="json",
        SECURE_SSL_REDIRECT="0",
        **env_extra,
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _events(received: list[tuple[str, bytes]]) -> list[dict]:
    """The error events in the envelopes (one JSON document per line: headers, then items)."""
    events = []
    for _, body in received:
        for line in body.splitlines():
            try:
                item = json.loads(line)
            except ValueError:
                continue
            if isinstance(item, dict) and "exception" in item:
                events.append(item)
    return events


def test_without_a_dsn_nothing_is_initialised_or_sent(sentry_sink, tmp_path):
    _, received = sentry_sink

    outcome = _run_probe(tmp_path)

    assert outcome == {"status": 500, "active": False}
    assert received == []


def test_with_a_dsn_view_and_task_failures_reach_sentry_without_personal_data(sentry_sink, tmp_path):
    dsn, received = sentry_sink

    outcome = _run_probe(tmp_path, SENTRY_DSN=dsn, SENTRY_ENVIRONMENT="ci", SENTRY_RELEASE="casedesk@1.2.3")

    assert outcome == {"status": 500, "active": True}
    assert {path for path, _ in received} == {"/api/42/envelope/"}
    events = _events(received)
    by_type = {event["exception"]["values"][-1]["type"]: event for event in events}
    assert set(by_type) >= {"RuntimeError", "KeyError"}

    view_event = by_type["RuntimeError"]
    assert view_event["environment"] == "ci" and view_event["release"] == "casedesk@1.2.3"
    assert view_event["tags"]["request_id"] == "sentry-probe-1"  # from the log line to the event and back
    assert view_event["transaction"] == "/api/v1/failing/"
    assert "cookies" not in view_event.get("request", {}) and not view_event.get("user")

    task_event = by_type["KeyError"]
    assert task_event["exception"]["values"][-1]["mechanism"]["type"] == "celery"
