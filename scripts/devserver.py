"""Run the web server, a Celery worker and Celery beat together in the foreground.

Ctrl-C (or SIGTERM) stops all three. Used by ``make run``; production runs each as its own
process (see docker-compose.yml).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST, PORT = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "8000")
SHUTDOWN_GRACE_SECONDS = 10
# prometheus_client's multiprocess mode, one directory for all three: /metrics on the web server
# adds up the counts of every process, the worker's (auto-close runs, retention) included.
METRICS_DIR = Path(os.environ.get("CASEDESK_VAR_DIR", ROOT / "var")).resolve() / "metrics"

COMMANDS = {
    "web": [PYTHON, "manage.py", "runserver", f"{HOST}:{PORT}"],
    "worker": [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2"],
    "beat": [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "info"],
}


def banner() -> None:
    base = f"http://{HOST}:{PORT}"
    print(
        f"""
Casedesk is starting (web, worker, beat). Ctrl-C stops all three.
  API root      {base}/api/v1/
  API docs      {base}/api/docs/
  Admin         {base}/admin/
  Health        {base}/healthz
  Metrics       {base}/metrics
  Demo logins   see README.md "Demo data" (password for all: casedesk-demo)
""",
        flush=True,
    )


def send_probe_task() -> None:
    """Queue one ping so the worker log shows a processed task as soon as it is up."""
    subprocess.run(
        [PYTHON, "-c", "import django; django.setup(); from core.tasks import ping; ping.delay('make run')"],
        cwd=ROOT,
        check=False,
    )


def main() -> int:
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    # Handlers first: a Ctrl-C while the three start must still stop all of them.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    banner()
    shutil.rmtree(METRICS_DIR, ignore_errors=True)  # counts start from zero with every run
    METRICS_DIR.mkdir(parents=True)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(METRICS_DIR)}
    # Each in its own process group, so stopping reaches runserver's reloader child and the worker's pool.
    processes = {
        name: subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
        for name, cmd in COMMANDS.items()
    }
    exit_code = 0
    try:
        if not stopping:
            send_probe_task()
        while not stopping:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(f"{name} exited with {process.returncode}; stopping the others.", flush=True)
                    exit_code = process.returncode or 1
                    stopping = True
            time.sleep(0.5)
    finally:
        _stop_all(processes)
    return exit_code


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, signum)


def _stop_all(processes: dict[str, subprocess.Popen[bytes]]) -> None:
    for process in processes.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + SHUTDOWN_GRACE_SECONDS
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    for process in processes.values():
        _signal_group(process, signal.SIGKILL)  # whatever is left of each group (reloader child, pool)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.exit(main())
