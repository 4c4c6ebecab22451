"""Worker and beat liveness files (core/liveness.py), read by their compose health checks: real Celery
processes against a throwaway Redis that the test stops and starts again."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(settings.BASE_DIR)
HEALTHCHECK = ROOT / "scripts" / "healthcheck.py"
CELERY = str(Path(sys.executable).with_name("celery"))
REQUIRE_SERVICES = os.environ.get("CASEDESK_REQUIRE_SERVICES") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll a real process's state, bounded: these processes take their own time to start or notice."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds:.0f}s: {what}")
        time.sleep(0.3)


class ThrowawayRedis:
    def __init__(self, directory: Path) -> None:
        self.directory, self.port = directory, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, seconds=20, what="redis-server answers")

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[ThrowawayRedis]:
    if shutil.which("redis-server") is None:
        if REQUIRE_SERVICES:
            pytest.fail("CASEDESK_REQUIRE_SERVICES=1 but redis-server is not installed")
        pytest.skip("needs redis-server (Debian: apt-get install redis-server)")
    server = ThrowawayRedis(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def process_env(var_dir: Path, broker_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "SECRET_KEY": "test-only-not-secret",
        "CASEDESK_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_RESULT_BACKEND": broker_url,
        "LIVENESS_INTERVAL_SECONDS": "1",
        **extra,
    }


def healthy(process: str, env: dict[str, str], max_age: float) -> bool:
    result = subprocess.run(
        [sys.executable, str(HEALTHCHECK), process, "--max-age", str(max_age)],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    return result.returncode == 0


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def run(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{args[0]}.log").open("wb")
        process = subprocess.Popen([CELERY, "-A", "config", *args], cwd=ROOT, env=env, stdout=log, stderr=log)
        started.append(process)
        return process

    yield run
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_worker_liveness_follows_its_broker_connection(tmp_path, redis_server, start):
    env = process_env(tmp_path, redis_server.url)
    worker = start(["worker", "--pool", "solo", "--without-mingle", "--without-gossip", "-l", "info"], env)

    wait_for(lambda: healthy("worker", env, 3), seconds=90, what="worker healthy once consuming")

    redis_server.stop()
    wait_for(lambda: not healthy("worker", env, 3), seconds=30, what="worker unhealthy without its broker")

    redis_server.start()
    wait_for(lambda: healthy("worker", env, 3), seconds=120, what="worker healthy again after reconnecting")

    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    assert not healthy("worker", env, 60)  # its file is removed on the way out, not left to go stale


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_beat_touches_its_liveness_file_on_every_pass(tmp_path, redis_server, start):
    database = urlsplit(os.environ["DATABASE_URL"])._replace(path="/" + connection.settings_dict["NAME"])
    env = process_env(tmp_path, redis_server.url, DATABASE_URL=urlunsplit(database))
    beat = start(["beat", "-l", "info"], env)
    alive = tmp_path / "beat.alive"

    wait_for(lambda: healthy("beat", env, 10), seconds=90, what="beat healthy once ticking")
    first = alive.stat().st_mtime
    wait_for(lambda: alive.stat().st_mtime > first, seconds=30, what="beat touches its file again")

    beat.send_signal(signal.SIGTERM)
    beat.wait(timeout=60)
    wait_for(lambda: not healthy("beat", env, 2), seconds=30, what="a stopped beat's file goes stale")
