"""Real servers for the fault tests, each on a free loopback port and each stoppable at will: a
throwaway PostgreSQL 15 cluster (run as the ``postgres`` user), two Redis servers (broker and cache),
an SMTP sink (aiosmtpd) that counts what it accepted by Message-ID, and the application's own
processes (gunicorn, Celery worker, Celery beat). Every wait polls against a deadline."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = "") -> Any:
    """Poll ``check`` until it answers something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(Exception):
            result = check()
            if result:
                return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what or check}")
        time.sleep(interval)


def missing_tools() -> list[str]:
    missing = [str(PG_BIN / tool) for tool in ("initdb", "pg_ctl") if not (PG_BIN / tool).exists()]
    missing += [tool for tool in ("redis-server", "runuser") if shutil.which(tool) is None]
    if os.geteuid() != 0:
        missing.append("root (PostgreSQL is started as the postgres user)")
    return missing


class Postgres:
    """A PostgreSQL cluster in ``folder`` (owned by postgres), started and stopped with pg_ctl."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.data = folder / "pg"

    def _as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command],
            check=check,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def init(self) -> None:
        shutil.chown(self.folder, "postgres", "postgres")
        self.folder.chmod(0o755)
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8",
        )  # fmt: skip

    def start(self) -> None:
        # fsync off is safe here (the machine does not crash, only the server); synchronous_commit
        # stays on: with it off, a commit answered 201 was lost when the server was killed.
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=100"
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "pg.log"), "-w", "-t", "60",
            "-o", options, "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """``immediate``: every server process exits at once, as when the host or the database dies."""
        self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def createdb(self, name: str) -> None:
        self._as_postgres(
            str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name
        )

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


class Redis:
    def __init__(self, folder: Path, name: str) -> None:
        self.folder, self.name = folder, name
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.folder / f"{self.name}.log", "ab")  # noqa: SIM115 (the server keeps writing it)
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        wait_until(self._answers, timeout=15, what=f"redis {self.name} answers")

    def _answers(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    def stop(self) -> None:
        """SIGKILL: the server vanishes with everything it held (no persistence is configured)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=15)
            self.process = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class _SinkHandler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Keeps the message first, then answers (after ``delay``): the worst case for a sender
        killed mid-conversation, which never sees the "250" for a message that will be delivered."""
        headers = BytesHeaderParser().parsebytes(envelope.content)
        message_id = "".join(str(headers.get("Message-ID", "")).split())  # unfolded
        self.sink.accepted(message_id, list(envelope.rcpt_tos))
        if self.sink.hold_at is not None and self.sink.total() >= self.sink.hold_at:
            self.sink.hold_at, self.sink.held = None, message_id
            await asyncio.sleep(30)  # the sender waits for the "250": the moment to kill it
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        return "250 OK"


class SmtpSink:
    """An SMTP server on loopback that accepts everything and counts it by Message-ID."""

    def __init__(self) -> None:
        self.port = free_port()
        self.delay = 0.0
        # Once this many messages were accepted in all, the next answer is held back (30 s) and the
        # held message's id is put in ``held``.
        self.hold_at: int | None = None
        self.held: str | None = None
        self._lock = threading.Lock()
        self.by_message_id: Counter[str] = Counter()
        self.controller = Controller(_SinkHandler(self), hostname="127.0.0.1", port=self.port)

    def accepted(self, message_id: str, recipients: list[str]) -> None:
        with self._lock:
            self.by_message_id[message_id] += 1

    def counts(self, message_ids: set[str]) -> Counter[str]:
        with self._lock:
            return Counter({mid: n for mid, n in self.by_message_id.items() if mid in message_ids})

    def total(self) -> int:
        with self._lock:
            return sum(self.by_message_id.values())

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@dataclass
class Process:
    """One of the application's processes, its output in a log file."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = open(self.log, "ab")  # noqa: SIM115 (the child keeps writing it)
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (gunicorn's and Celery's children too)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=20)
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def http(
    method: str, url: str, *, token: str | None = None, body: Any = None, timeout: float = 15
) -> Response:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            raw, status, got = answer.read(), answer.status, dict(answer.headers)
    except urllib.error.HTTPError as error:
        raw, status, got = error.read(), error.code, dict(error.headers)
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = raw.decode(errors="replace")[:300]
    return Response(status, parsed, got)
