"""Container health checks, run by docker-compose.yml inside each service's container (and by
scripts/compose_smoke.py in CI). Standard library only: a check costs a Python start, no Django.

  python scripts/healthcheck.py web [URL]      GET URL (default http://127.0.0.1:8000/healthz) with a
                                               Host header ALLOWED_HOSTS accepts; healthy on 200
  python scripts/healthcheck.py worker|beat    the process's liveness file (core/liveness.py) was
                                               touched within --max-age seconds

Exit status 0 means healthy; the line printed says why not (``docker inspect`` shows it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "http://127.0.0.1:8000/healthz"
# Liveness files are touched every LIVENESS_INTERVAL_SECONDS; this many intervals may pass unseen
# (a slow scheduler pass, a busy event loop) before the process counts as stuck.
MISSED_INTERVALS = 6


def allowed_host() -> str:
    """A Host value Django accepts: the first ALLOWED_HOSTS entry, as settings read it.

    Django answers 400 to any other Host before the health view runs, so the check uses the same
    list the application does instead of a loopback name production does not allow.
    """
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
    if not hosts or hosts[0] == "*":
        return "localhost"  # no list: DEBUG allows loopback names; "*" allows any
    return hosts[0].lstrip(".")  # ".example.com" allows example.com itself


def check_web(url: str, timeout: float) -> tuple[bool, str]:
    request = urllib.request.Request(url, headers={"Host": allowed_host()})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status == 200, f"{url}: {response.status}"
    except urllib.error.HTTPError as exc:  # 503 when the database or broker is down, 400 on a bad Host
        return False, f"{url}: {exc.code} {exc.read(300).decode(errors='replace')}"
    except OSError as exc:
        return False, f"{url}: {exc}"


def liveness_file(process: str) -> Path:
    """The path core.liveness writes: settings.VAR_DIR is CASEDESK_VAR_DIR or <repository>/var."""
    return Path(os.environ.get("CASEDESK_VAR_DIR", str(ROOT / "var"))).resolve() / f"{process}.alive"


def check_liveness(process: str, max_age: float) -> tuple[bool, str]:
    path = liveness_file(process)
    try:
        age = time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return False, f"{path} is missing: {process} has not started consuming, or has stopped"
    return age <= max_age, f"{path} touched {age:.0f}s ago (limit {max_age:.0f}s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("process", choices=["web", "worker", "beat"])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help="web only")
    parser.add_argument("--timeout", type=float, default=5.0, help="web: seconds to wait for the answer")
    parser.add_argument("--max-age", type=float, help="worker/beat: seconds (default: 6 liveness intervals)")
    args = parser.parse_args(argv)
    if args.process == "web":
        healthy, reason = check_web(args.url, args.timeout)
    else:
        interval = float(os.environ.get("LIVENESS_INTERVAL_SECONDS") or 10)
        healthy, reason = check_liveness(args.process, args.max_age or MISSED_INTERVALS * interval)
    print(("healthy: " if healthy else "unhealthy: ") + reason)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
