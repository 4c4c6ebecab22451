"""The fault tests' stack: throwaway PostgreSQL and Redis servers, an SMTP sink, and the application
as it runs in production (gunicorn with 2 workers, a Celery worker, Celery beat), started once for
the session. Tests stop, kill and restart its parts; every such fault is counted and the count is
printed in the summary ("faults injected: N")."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.faults.servers import (
    PYTHON,
    ROOT,
    Postgres,
    Process,
    Redis,
    Response,
    SmtpSink,
    free_port,
    http,
    missing_tools,
    wait_until,
)

FAULTS: list[str] = []
REPORT: list[str] = []  # what each fault test counted, repeated in the summary
logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command
LEASE_SECONDS = 6


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FAULTS:
        terminalreporter.write_sep("-", "fault tests")
        for line in REPORT:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"faults injected: {len(FAULTS)}")


@dataclass
class Stack:
    folder: Path
    pg: Postgres
    broker: Redis
    cache: Redis
    sink: SmtpSink
    env: dict[str, str]
    web_port: int
    processes: dict[str, Process] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)

    # --- the application's processes ---------------------------------------------------------------

    def process(self, name: str) -> Process:
        if name not in self.processes:
            bin_dir = ROOT / ".venv" / "bin"
            commands = {
                "web": [str(bin_dir / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{self.web_port}",
                        "--workers", "2", "--timeout", "60", "--log-level", "warning"],
                "beat": [str(bin_dir / "celery"), "-A", "config", "beat", "-l", "INFO", "--max-interval", "1",
                         "-S", "django_celery_beat.schedulers:DatabaseScheduler", "--pidfile="],
            }  # fmt: skip
            command = commands.get(name) or [
                str(bin_dir / "celery"), "-A", "config", "worker", "-P", "solo", "-l", "INFO",
                "-n", f"{name}@faults", "--without-mingle", "--without-gossip",
            ]  # fmt: skip
            self.processes[name] = Process(name, command, self.env, self.folder / f"{name}.log")
        return self.processes[name]

    def start(self, *names: str) -> None:
        """Start these processes together; answer once each is ready."""
        offsets = {}
        for name in names:
            process = self.process(name)
            offsets[name] = process.log.stat().st_size if process.log.exists() else 0
            process.start()
        for name in names:
            process = self.process(name)
            if name == "web":
                wait_until(lambda: self.get("/healthz").status == 200, timeout=120, what="gunicorn answers")
            else:
                marker, offset = ("beat: Starting" if name == "beat" else "ready."), offsets[name]
                wait_until(
                    lambda: marker in process.log.read_text(errors="replace")[offset:],  # noqa: B023
                    timeout=120,
                    what=f"{name} ready",
                )

    def manage(self, *args: str) -> Any:
        """Run ``manage.py`` in the application's environment; answers its FAULTS_JSON line, if any."""
        done = subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=180
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"manage.py {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            )
        for line in done.stdout.splitlines():
            if line.startswith("FAULTS_JSON="):
                return json.loads(line.removeprefix("FAULTS_JSON="))
        return None

    def script(self, call: str) -> Any:
        return self.manage("shell", "-c", f"from tests.faults import scripts; scripts.{call}")

    # --- talking to it -------------------------------------------------------------------------------

    def get(self, path: str, token: str | None = None) -> Response:
        return http("GET", f"http://127.0.0.1:{self.web_port}{path}", token=token)

    def post(self, path: str, body: Any, token: str | None = None) -> Response:
        return http("POST", f"http://127.0.0.1:{self.web_port}{path}", token=token, body=body)

    def case_payload(self, n: int) -> dict[str, Any]:
        return {
            "product_instance": self.seed["product_instance"],
            "subject": f"Fault test case {n}",
            "problem_summary": "Opened while something was being stopped.",
            "reason": self.seed["reason"],
            "application_area": self.seed["application_area"],
            "business_impact_scope": "group",
            "business_impact": "medium",
        }

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.pg.url("casedesk"), autocommit=True, connect_timeout=5) as connection:
            return connection.execute(query, params).fetchall()

    def inject(self, fault: str) -> None:
        FAULTS.append(fault)
        self.report(f"fault injected: {fault}")

    def report(self, text: str) -> None:
        print(text)
        REPORT.extend(line for line in text.splitlines() if line.strip())

    def wait_all_sent(self, message_ids: set[str], *, timeout: float) -> Counter[str]:
        """Until every row of ``message_ids`` is sent and the sink accepted each; answers the sink's counts."""

        def done() -> bool:
            rows = self.sql(
                "select count(*) from notifications_notification where message_id = any(%s) and status = 'sent'",
                list(message_ids),
            )
            return rows[0][0] == len(message_ids) and len(self.sink.counts(message_ids)) == len(message_ids)

        wait_until(done, timeout=timeout, interval=0.5, what=f"{len(message_ids)} notifications sent")
        time.sleep(LEASE_SECONDS + 3)  # a row sent twice would be resent within one lease and a sweep
        return self.sink.counts(message_ids)


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    missing = missing_tools()
    if missing:
        message = f"fault tests need {', '.join(missing)}"
        if os.environ.get("CASEDESK_REQUIRE_SERVICES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    folder = Path(tempfile.mkdtemp(prefix="casedesk-faults-"))
    folder.chmod(0o755)
    pg_folder = folder / "postgres"
    pg_folder.mkdir()
    pg, broker, cache, sink = Postgres(pg_folder), Redis(folder, "broker"), Redis(folder, "cache"), SmtpSink()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "CACHE_", "EMAIL_", "DJANGO_", "NOTIFICATION_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONUNBUFFERED="1",
        DEBUG="0",
        SECRET_KEY="fault-tests-only",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        WHITENOISE_USE_FINDERS="1",
        CASEDESK_VAR_DIR=str(folder / "var"),
        DATABASE_URL=pg.url("casedesk"),
        CELERY_BROKER_URL=broker.url(0),
        CELERY_RESULT_BACKEND=broker.url(1),
        CACHE_URL=cache.url(0),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(sink.port),
        THROTTLE_ANON_RATE="100000/min",
        THROTTLE_USER_RATE="100000/min",
        NOTIFICATION_LEASE_SECONDS=str(LEASE_SECONDS),
        NOTIFICATION_BACKOFF_SECONDS="1",
        NOTIFICATION_BACKOFF_CAP_SECONDS="2",
        NOTIFICATION_MAX_ATTEMPTS="50",
        DB_CONN_MAX_AGE="60",
    )
    stack = Stack(folder=folder, pg=pg, broker=broker, cache=cache, sink=sink, env=env, web_port=free_port())
    started = time.monotonic()

    def step(what: str) -> None:
        print(f"fault stack: {what} at {time.monotonic() - started:.1f}s")

    try:
        pg.init()
        pg.start()
        pg.createdb("casedesk")
        broker.start()
        cache.start()
        sink.start()
        step("servers up")
        stack.seed = stack.script("seed()")  # migrate, demo data, tokens: one Django start-up
        step("migrated and seeded")
        stack.start("web", "w1", "beat")
        step("gunicorn, worker and beat ready")
        yield stack
    finally:
        for process in stack.processes.values():
            process.kill()
        sink.stop()
        broker.stop()
        cache.stop()
        pg.stop()
        if os.environ.get("FAULTS_KEEP") != "1":
            shutil.rmtree(folder, ignore_errors=True)
        else:
            print(f"fault test files kept in {folder}")


class Load:
    """Customers reading the case list and opening cases from a few threads, until stopped (and at
    most ``max_requests`` per thread). Each answer is recorded with the phase it fell in."""

    def __init__(self, stack: Stack, *, readers: int = 2, writers: int = 2, max_requests: int = 400) -> None:
        self.stack, self.max_requests = stack, max_requests
        self.phase = "before"
        self.results: list[tuple[str, str, int, str | None, str | None]] = []
        self.created: list[int] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=("read",)) for _ in range(readers)] + [
            threading.Thread(target=self._run, args=("write", n)) for n in range(writers)
        ]

    def _run(self, kind: str, writer: int = 0) -> None:
        token = self.stack.seed["customer"]
        for n in range(self.max_requests):
            if self._stop.is_set():
                return
            phase = self.phase
            try:
                if kind == "read":
                    answer = self.stack.get("/api/v1/cases/?page_size=5", token)
                else:
                    answer = self.stack.post(
                        "/api/v1/cases/", self.stack.case_payload(writer * 10_000 + n), token
                    )
            except OSError as exc:  # a connection the server dropped: recorded, never a pass
                answer = Response(0, {"code": type(exc).__name__})
            code = answer.body.get("code") if isinstance(answer.body, dict) else None
            with self._lock:
                self.results.append((phase, kind, answer.status, code, answer.headers.get("Retry-After")))
                if kind == "write" and answer.status == 201:
                    self.created.append(answer.body["id"])
            time.sleep(0.02)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def by_phase(self) -> dict[str, Counter[str]]:
        table: dict[str, Counter[str]] = {}
        for phase, kind, status, code, _retry in self.results:
            table.setdefault(phase, Counter())[f"{kind} {status}{f' {code}' if status >= 400 else ''}"] += 1
        return table


@pytest.fixture
def load_of(stack: Stack) -> Any:
    return lambda **kwargs: Load(stack, **kwargs)
