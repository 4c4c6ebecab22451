"""The production processes, as deployed: gunicorn (gunicorn.conf.py, two workers) and a Celery
worker (prefork) and beat, started as subprocesses with JSON logs on the test database and broker.

- a request and the task it queues log the same request id (gunicorn's access line, the task's
  lines in the pool process), and every line each process writes is one JSON object;
- /metrics adds up the counts of every gunicorn worker, those that have exited included.
"""

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import Membership
from tests.factories import (
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    member,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.real_worker,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MAX_REQUESTS = 5  # gunicorn recycles each worker after this many requests: counts must survive that
STARTUP_SECONDS = 120  # a loaded CI machine boots Django slowly; each wait below is bounded
PASSWORD = "e2e-password-9f3"


@dataclass
class Servers:
    port: int
    logs: Path

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json", **(headers or {})}
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def lines(self, name: str) -> list[dict]:
        """Every line the process wrote to this stream, each parsed as one JSON object."""
        text = (self.logs / name).read_text()
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def wait_for_line(self, name: str, predicate, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded: the other process works asynchronously
            found = [line for line in self.lines(name) if predicate(line)]
            if found:
                return found[0]
            time.sleep(0.25)
        raise AssertionError(f"no matching line in {name} after {timeout}s")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the group this test started, nothing else
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(django_db_setup, tmp_path_factory) -> Iterator[Servers]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": "test-only-not-secret",
        "DEBUG": "0",
        "LOG_FORMAT": "json",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # gunicorn.conf.py makes one of its own
    logs = tmp_path_factory.mktemp("servers")
    port = _free_port()
    commands = {
        "gunicorn": [
            BIN / "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--max-requests",
            str(MAX_REQUESTS),
        ],
        "worker": [
            BIN / "celery",
            "-A",
            "config",
            "worker",
            "--pool",
            "prefork",
            "--concurrency",
            "1",
            "-l",
            "info",
        ],
        "beat": [
            BIN / "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "--schedule",
            str(logs / "beat-schedule"),
        ],
    }
    processes = {}
    try:
        for name, command in commands.items():
            processes[name] = subprocess.Popen(
                [str(part) for part in command],
                cwd=ROOT,
                env=env,
                stdout=(logs / f"{name}.out").open("w"),
                stderr=(logs / f"{name}.err").open("w"),
                start_new_session=True,  # its own process group, stopped as a whole
            )
        ready = Servers(port=port, logs=logs)
        ready.wait_for_line("worker.err", lambda line: line["message"].endswith("ready."), STARTUP_SECONDS)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:  # bounded wait for gunicorn's first worker
            try:
                if ready.request("GET", "/healthz")[0] in (200, 503):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer in time"
            assert processes["gunicorn"].poll() is None, (logs / "gunicorn.err").read_text()
            time.sleep(0.5)
        yield ready
    finally:
        for process in processes.values():
            _stop(process)


def _customer_with_password(settings):
    # The servers hash with the production hasher, not the tests' fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company)
    customer = member(company, role=Membership.Role.DSU)
    customer.set_password(PASSWORD)
    customer.save(update_fields=["password"])
    return customer, instance


def test_a_request_and_the_tasks_it_queues_log_the_same_request_id(servers, settings):
    customer, instance = _customer_with_password(settings)
    status, _, body = servers.request(
        "POST", "/api/v1/auth/token/", {"username": customer.username, "password": PASSWORD}
    )
    assert status == 200, body
    token = json.loads(body)["token"]
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"

    status, headers, body = servers.request(
        "POST",
        "/api/v1/cases/",
        {
            "product_instance": instance.pk,
            "subject": "Cannot post journal entries",
            "problem_summary": "Posting fails with GL-42 since this morning.",
            "reason": CaseReasonFactory().code,
            "application_area": ApplicationAreaFactory().code,
            "business_impact_scope": "organisation",
            "business_impact": "high",
        },
        {"Authorization": f"Token {token}", "X-Request-ID": request_id},
    )

    assert status == 201, body
    assert headers["X-Request-ID"] == request_id
    access = servers.wait_for_line(
        "gunicorn.out",
        lambda line: line.get("request_id") == request_id and line["logger"] == "gunicorn.access",
    )
    assert (access["method"], access["path"], access["status"]) == ("POST", "/api/v1/cases/", 201)
    assert access["duration_ms"] > 0 and access["timestamp"].endswith("+00:00")
    # routing and the confirmation e-mail's delivery leave in one message (core.publish.publishes_combined)
    routed_and_delivered = servers.wait_for_line(
        "worker.err",
        lambda line: (
            line.get("task_name") == "core.tasks.tasks_run_together_task" and "succeeded" in line["message"]
        ),
    )
    assert routed_and_delivered["request_id"] == request_id  # the web line and the task line share the id
    assert routed_and_delivered["logger"] == "celery.app.trace" and routed_and_delivered["level"] == "INFO"
    assert "cases.tasks.case_route_task" in routed_and_delivered["data"]["args"]
    assert "notifications.tasks.notifications_deliver_many_task" in routed_and_delivered["data"]["args"]

    # Every line of every process is one JSON object with the common fields (lines() parses each).
    servers.wait_for_line("beat.err", lambda line: "beat: Starting" in line["message"])
    for name in ("gunicorn.out", "gunicorn.err", "worker.err", "beat.err"):
        lines = servers.lines(name)
        assert lines, name
        assert all(
            {"timestamp", "level", "logger", "message", "request_id"} <= line.keys() for line in lines
        ), name


def test_metrics_add_up_every_gunicorn_worker_including_exited_ones(servers):
    scrapes = 3 * MAX_REQUESTS  # more than two workers can serve without being recycled
    for _ in range(scrapes):
        assert servers.request("GET", "/metrics")[0] == 200

    status, _, body = servers.request("GET", "/metrics")

    assert status == 200
    families = {family.name: family for family in text_string_to_metric_families(body.decode())}
    served = {
        tuple(sorted(sample.labels.items())): sample.value
        for sample in families["django_http_responses_total_by_status_view_method"].samples
        if sample.name.endswith("_total")
    }
    assert served[(("method", "GET"), ("status", "200"), ("view", "metrics"))] == scrapes
    booted = [line for line in servers.lines("gunicorn.err") if line["message"].startswith("Booting worker")]
    assert len(booted) >= 3  # at least one worker exited and was replaced meanwhile
    assert "casedesk_cases" in families and "casedesk_outbox_backlog" in families
