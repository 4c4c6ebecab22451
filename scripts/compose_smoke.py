"""`docker compose up` without Docker: run the stack's own commands, with the environment the compose
file gives them, and their own health checks. CI runs it (.ci/run); so can anyone with PostgreSQL,
Redis and (for the proxy) Debian's caddy and wget:

    COMPOSE_SMOKE_DATABASE_URL=postgres://postgres@127.0.0.1:54329/casedesk_compose \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/0 .venv/bin/python scripts/compose_smoke.py [--require-proxy]

What it does, and how each step stands in for Docker (each is printed as it runs):

1. Static checks: ``.dockerignore`` keeps ``.venv``, ``var/``, ``.git``, ``.env`` and ``artifacts/``
   out of the build context and keeps in what the services run; no password is written in
   ``docker-compose.yml``; ``.env.example`` ships no secret.
2. The image: the build context (every file ``.dockerignore`` lets through) is copied to a scratch
   ``/app``; the Dockerfile's own ``uv sync`` line builds the image's virtualenv (production
   dependencies only), its ``compilemessages`` line (the ``messages`` stage: GNU gettext's msgfmt
   from this machine) and its ``collectstatic`` line run there; the directories its ``chown`` line
   names become the service user's. Services run from that copy, as ``nobody`` when this runs as root
   (the image's non-root user), never from the repository.
3. The environment of each service, as compose builds it: the image's ``ENV``, then ``env_file`` (the
   ``.env.example`` values, with generated ``SECRET_KEY`` and ``POSTGRES_PASSWORD``), then
   ``environment``, with ``${...}`` interpolated from that same file. Then, and only then, translated:
   URLs naming the ``postgres`` / ``redis`` services point at the servers given here (the database,
   whose name must contain "compose", is dropped and created empty first); container paths map to
   scratch directories (``/app``, ``/opt/venv``, each named volume); each port a service listens on
   or is checked on (``0.0.0.0:8000``, ``127.0.0.1:8000``, Caddy's 80, 443 and 2019) becomes a free
   loopback port, in its command and its health check alike. Nothing else is changed.
4. ``migrate`` runs to completion, twice (a second ``up`` and an upgrade run it again); the
   database then holds no user. ``web``, ``worker`` and ``beat`` start with their commands; each
   service's own health-check command must pass within its start period plus its retries, and no
   service may exit.
5. The proxy (Caddy from Debian, the compose ``proxy`` service's Caddyfile with its ports and the
   ``web:8000`` upstream translated): its health check passes; through it, over TLS verified with
   Caddy's internal CA, ``/healthz`` answers 200, ``/admin/`` redirects to the login page (no HTTPS
   redirect loop), static files are served, plain HTTP is redirected to HTTPS, and an administrator
   made with ``createsuperuser --noinput`` (README's first-superuser step) logs in through the admin
   form (CSRF and secure cookies over the proxy). The same Caddyfile in front of a header-echoing
   server shows that the client's ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are replaced.

Not covered (Docker itself): image pulls and builds, the compose network and DNS, ``depends_on``
ordering, restart policies, volume initialisation, and the postgres, redis and caddy images.
"""

from __future__ import annotations

import argparse
import contextlib
import http.cookiejar
import http.server
import json
import os
import pwd
import re
import secrets
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
GENERATED_SECRETS = ("SECRET_KEY", "POSTGRES_PASSWORD")
MUST_EXCLUDE = (".venv/bin/python", "var/casedesk.sqlite3", ".git", ".git/HEAD", ".env", "artifacts/x.xml")
MUST_INCLUDE = (
    "manage.py",
    "gunicorn.conf.py",
    "pyproject.toml",
    "uv.lock",
    "config/settings.py",
    "scripts/healthcheck.py",
    "fixtures/reference/00_groups.json",
)
# The python:3.12-slim base image's environment, before the Dockerfile's ENV.
BASE_IMAGE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
# The caddy image's command, environment and listening ports (its admin endpoint: localhost:2019).
CADDY_CMD = ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
CADDY_IMAGE_ENV = {"XDG_CONFIG_HOME": "/config", "XDG_DATA_HOME": "/data"}
CADDY_PORTS = (80, 443, 2019)
MIGRATE_TIMEOUT = 900
HEALTH_TIMEOUT_CAP = 240


class SmokeFailure(Exception):
    pass


def step(message: str) -> None:
    print(f"== {message}", flush=True)


def ok(message: str) -> None:
    print(f"   ok: {message}", flush=True)


# --- compose: .env files and ${...} interpolation ----------------------------------------------------

_VARIABLE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_BRACED = re.compile(r"^(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?$", re.DOTALL)


def env_file_read(path: Path) -> dict[str, str]:
    """Compose's .env format as this project writes it: KEY=VALUE lines, '#' comments, optional quotes."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key.strip()):
            raise SmokeFailure(f"{path.name}:{number}: not KEY=VALUE: {raw!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0]
        values[key.strip()] = value
    return values


def interpolate(text: str, variables: dict[str, str]) -> str:
    """Compose's interpolation: $$, $NAME, ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error},
    ${NAME?error}, ${NAME:+alternative}, ${NAME+alternative}. Nested ${...} is refused."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        if match["named"]:
            return variables.get(match["named"], "")
        braced = _BRACED.match(match["braced"])
        if braced is None or "${" in (braced["arg"] or ""):
            raise SmokeFailure(f"unsupported interpolation ${{{match['braced']}}}")
        name, op, arg = braced["name"], braced["op"], braced["arg"] or ""
        value, is_set = variables.get(name), name in variables
        usable = bool(value) if op and op.startswith(":") else is_set
        if op in (":-", "-"):
            return value if usable and value is not None else arg
        if op in (":?", "?"):
            if not usable:
                raise SmokeFailure(f"compose would refuse to start: {name}: {arg or 'not set'}")
            return value or ""
        if op in (":+", "+"):
            return arg if usable else ""
        return value or ""

    return _VARIABLE.sub(replace, text)


def interpolate_tree(node: Any, variables: dict[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, variables)
    if isinstance(node, list):
        return [interpolate_tree(item, variables) for item in node]
    if isinstance(node, dict):
        return {key: interpolate_tree(value, variables) for key, value in node.items()}
    return node


def duration(value: Any, default: float) -> float:
    """A compose duration ("30s", "1m30s", "500ms") in seconds."""
    if value is None:
        return default
    total, text = 0.0, str(value)
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|us|s|m|h)", text):
        total += float(amount) * {"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[unit]
    return total


# --- .dockerignore -------------------------------------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """Docker's pattern syntax (Go's filepath.Match plus '**'), anchored at the context root."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            out += ".*"
            i += 2
            if pattern.startswith("/", i):
                out, i = out + "(?:/|$)?", i + 1
            continue
        out += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
        i += 1
    return re.compile(out)


@dataclass
class DockerIgnore:
    rules: list[tuple[bool, re.Pattern[str]]] = field(default_factory=list)  # (exception, pattern)

    @classmethod
    def read(cls, path: Path) -> DockerIgnore:
        ignore = cls()
        for raw in path.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            exception = line.startswith("!")
            pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
            ignore.rules.append((exception, _pattern_regex(pattern)))
        return ignore

    def excluded(self, relative: str) -> bool:
        """Whether the context leaves ``relative`` out: the last matching rule wins, and a rule
        matching a directory covers everything below it."""
        parts = relative.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        verdict = False
        for exception, regex in self.rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                verdict = not exception
        return verdict

    def context_files(self, root: Path) -> Iterator[Path]:
        for directory, dirnames, filenames in os.walk(root):
            base = Path(directory).relative_to(root)
            kept = []
            for name in dirnames:
                relative = (base / name).as_posix()
                if not self.excluded(relative) or self._reincludes_below(relative):
                    kept.append(name)
            dirnames[:] = kept
            for name in filenames:
                relative = (base / name).as_posix()
                if not self.excluded(relative):
                    yield base / name

    def _reincludes_below(self, directory: str) -> bool:
        return any(
            exception and regex.pattern.startswith(re.escape(directory)) for exception, regex in self.rules
        )


# --- Dockerfile ----------------------------------------------------------------------------------------


@dataclass
class Stage:
    instructions: list[tuple[str, str]] = field(default_factory=list)  # (INSTRUCTION, arguments)

    def all(self, name: str) -> list[str]:
        return [args for instruction, args in self.instructions if instruction == name]


def dockerfile_stages(path: Path) -> list[Stage]:
    stages: list[Stage] = []
    logical = re.sub(r"\\\n", " ", path.read_text())
    for raw in logical.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append(Stage())
        stages[-1].instructions.append((instruction.upper(), args.strip()))
    return stages


def dockerfile_env(stage: Stage, environment: dict[str, str]) -> dict[str, str]:
    """The stage's ENV instructions (KEY=VALUE form, $NAME expanded as Docker does)."""
    env = dict(environment)
    for args in stage.all("ENV"):
        for word in shlex.split(args):
            key, _, value = word.partition("=")
            env[key] = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m[1], ""), value)
    return env


def run_line(stage: Stage, needle: str) -> str:
    lines = [args for args in stage.all("RUN") if needle in args]
    if len(lines) != 1:
        raise SmokeFailure(f"Dockerfile: expected one RUN line with {needle!r}, found {len(lines)}")
    return lines[0]


# --- translation from the containers' world to this machine --------------------------------------------


@dataclass
class Translation:
    paths: dict[str, Path]  # container path prefix → scratch directory (longest first)
    database_url: str
    redis_netloc: str
    ports: dict[int, int] = field(default_factory=dict)  # container port → loopback port

    def path(self, text: str) -> str:
        for prefix in sorted(self.paths, key=len, reverse=True):
            text = re.sub(rf"(?<![\w/.]){re.escape(prefix)}(?=/|\b|$)", str(self.paths[prefix]), text)
        return text

    def hosts(self, text: str) -> str:
        """URLs that name the postgres or redis service point at the servers given to this script."""
        url = urllib.parse.urlsplit(text) if "://" in text else None
        if url is None or url.hostname not in ("postgres", "redis"):
            return text
        if url.hostname == "postgres":
            return self.database_url
        return url._replace(netloc=self.redis_netloc).geturl()

    def port(self, text: str) -> str:
        for container_port, host_port in self.ports.items():
            text = re.sub(
                rf"(?:0\.0\.0\.0|127\.0\.0\.1|localhost):{container_port}\b", f"127.0.0.1:{host_port}", text
            )
        return text

    def value(self, text: str) -> str:
        return self.port(self.path(self.hosts(text)))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- processes -------------------------------------------------------------------------------------------


@dataclass
class RunAs:
    uid: int | None = None
    gid: int | None = None
    name: str = "the current user"

    @classmethod
    def unprivileged(cls, python: Path) -> RunAs:
        """``nobody`` when this runs as root and ``nobody`` can start the image's interpreter (a Python
        under /root, as pyenv installs it, is out of its reach); else the current user."""
        if os.geteuid() != 0:
            return cls()
        entry = pwd.getpwnam("nobody")
        nobody = cls(uid=entry.pw_uid, gid=entry.pw_gid, name="nobody")
        try:
            reachable = subprocess.run([str(python), "-c", "pass"], **nobody.popen_kwargs()).returncode == 0
        except OSError:  # exec refused: the interpreter's directory is closed to it
            reachable = False
        return nobody if reachable else cls(name="root (nobody cannot reach this machine's Python)")

    def popen_kwargs(self) -> dict[str, Any]:
        if self.uid is None:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}

    def own(self, path: Path) -> None:
        """Like the Dockerfile's ``chown`` (not recursive): the directory itself becomes writable."""
        path.mkdir(parents=True, exist_ok=True)
        if self.uid is not None:
            os.chown(path, self.uid, self.gid if self.gid is not None else -1)


@dataclass
class Service:
    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    health: list[str] | None = None
    health_timeout: float = 10
    health_deadline: float = 60
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


class Stack:
    def __init__(self, scratch: Path, run_as: RunAs) -> None:
        self.scratch, self.run_as = scratch, run_as
        self.running: list[Service] = []

    def _log(self, name: str) -> Path:
        (self.scratch / "logs").mkdir(exist_ok=True)
        return self.scratch / "logs" / f"{name}.log"

    def run(self, service: Service, argv: list[str] | None = None, timeout: float = MIGRATE_TIMEOUT) -> str:
        """Run to completion (a one-shot service or a step); fails on a non-zero exit."""
        argv = argv or service.argv
        result = subprocess.run(
            argv,
            cwd=service.cwd,
            env=service.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            **self.run_as.popen_kwargs(),
        )
        self._log(service.name).open("a").write(result.stdout + result.stderr)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr)[-3000:]
            raise SmokeFailure(f"{service.name}: {shlex.join(argv)} exited {result.returncode}\n{tail}")
        return result.stdout

    def start(self, service: Service) -> None:
        service.log = self._log(service.name)
        service.process = subprocess.Popen(
            service.argv,
            cwd=service.cwd,
            env=service.env,
            stdout=service.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopping reaches gunicorn's and celery's children
            **self.run_as.popen_kwargs(),
        )
        self.running.append(service)

    def healthy(self, service: Service) -> tuple[bool, str]:
        assert service.health is not None
        try:
            result = subprocess.run(
                service.health,
                cwd=service.cwd,
                env=service.env,
                capture_output=True,
                text=True,
                timeout=service.health_timeout,
                **self.run_as.popen_kwargs(),
            )
        except subprocess.TimeoutExpired:
            return False, f"health check timed out after {service.health_timeout:.0f}s"
        return result.returncode == 0, (result.stdout + result.stderr).strip()

    def wait_healthy(self, service: Service) -> None:
        deadline = time.monotonic() + service.health_deadline
        last = ""
        while True:
            self.check_alive()
            healthy, last = self.healthy(service)
            if healthy:
                ok(f"{service.name}: {shlex.join(service.health or [])} → {last or 'exit 0'}")
                return
            if time.monotonic() > deadline:
                raise SmokeFailure(
                    f"{service.name} unhealthy after {service.health_deadline:.0f}s: {last}\n{self.log_tail(service)}"
                )
            time.sleep(1)

    def check_alive(self) -> None:
        for service in self.running:
            assert service.process is not None
            if service.process.poll() is not None:
                raise SmokeFailure(
                    f"{service.name} exited early with {service.process.returncode}\n{self.log_tail(service)}"
                )

    def log_tail(self, service: Service, size: int = 3000) -> str:
        if service.log is None or not service.log.exists():
            return ""
        return f"--- {service.name} log (end) ---\n{service.log.read_text(errors='replace')[-size:]}"

    def stop_all(self) -> None:
        for service in reversed(self.running):
            if service.process is not None and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for service in self.running:
            assert service.process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(service.process.pid, signal.SIGKILL)  # whatever is left of its group
            service.process.wait()
        self.running.clear()


# --- the smoke run -----------------------------------------------------------------------------------


def check_static(compose_raw: dict[str, Any], example: dict[str, str]) -> None:
    step("static checks: .dockerignore, secrets, health checks")
    ignore = DockerIgnore.read(ROOT / ".dockerignore")
    leaked = [path for path in MUST_EXCLUDE if not ignore.excluded(path)]
    missing = [path for path in MUST_INCLUDE if ignore.excluded(path)]
    if leaked or missing:
        raise SmokeFailure(f".dockerignore lets in {leaked}, keeps out {missing}")
    ok(f".dockerignore keeps out {', '.join(MUST_EXCLUDE)}; keeps {len(MUST_INCLUDE)} needed files")
    shipped = [name for name in GENERATED_SECRETS if example.get(name, "missing") != ""]
    if shipped:
        raise SmokeFailure(f".env.example must leave these empty (each operator generates them): {shipped}")
    ok(f".env.example leaves {', '.join(GENERATED_SECRETS)} empty")
    for name, service in compose_raw["services"].items():
        environment = service.get("environment") or {}
        items = (
            environment.items() if isinstance(environment, dict) else (e.split("=", 1) for e in environment)
        )
        for key, value in items:
            secretish = re.search(r"PASSWORD|SECRET", key) or re.search(r"://[^:/@]+:[^@/]+@", str(value))
            if secretish and "${" not in str(value):
                raise SmokeFailure(
                    f"docker-compose.yml: {name}.{key} holds a literal secret; take it from .env"
                )
        if name != "migrate" and "healthcheck" not in service:
            raise SmokeFailure(f"docker-compose.yml: {name} has no health check")
        if name not in ("migrate", "proxy") and service.get("ports"):
            raise SmokeFailure(f"docker-compose.yml: {name} publishes ports; only the proxy may")
        if name != "migrate" and service.get("restart") not in ("unless-stopped", "always"):
            raise SmokeFailure(f"docker-compose.yml: {name} is not restarted (restart: unless-stopped)")
    ok("docker-compose.yml: no literal secret; long-running services have a health check and restart")


def database_recreate(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if "compose" not in name:
        raise SmokeFailure(f"refusing to drop database {name!r}: its name must contain 'compose'")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    ok(f"database {name} dropped and created empty")


def service_env(
    service: dict[str, Any], base: dict[str, str], dotenv: dict[str, str], translation: Translation, name: str
) -> dict[str, str]:
    env = dict(base)
    for env_file in service.get("env_file") or []:
        if env_file != ".env":
            raise SmokeFailure(f"{name}: env_file {env_file} (only .env is stood in for, by .env.example)")
        env.update(dotenv)
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    env.update({key: str(value) for key, value in environment.items()})
    env.setdefault("HOSTNAME", name)
    return {key: translation.value(value) for key, value in env.items()}


def health_argv(service: dict[str, Any], translation: Translation) -> list[str]:
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", translation.value(test)]
    kind, *args = test
    if kind == "CMD":
        return [translation.value(arg) for arg in args]
    if kind == "CMD-SHELL":
        return ["sh", "-c", translation.value(args[0])]
    raise SmokeFailure(f"unsupported health check {test!r}")


def health_deadline(service: dict[str, Any]) -> float:
    check = service["healthcheck"]
    window = duration(check.get("start_period"), 0) + duration(check.get("interval"), 30) * int(
        check.get("retries", 3)
    )
    return min(max(window, 60.0), HEALTH_TIMEOUT_CAP)


def command_argv(service: dict[str, Any], translation: Translation) -> list[str]:
    command = service["command"]
    argv = shlex.split(command) if isinstance(command, str) else [str(word) for word in command]
    return [translation.value(word) for word in argv]


def resolve(argv: list[str], env: dict[str, str]) -> list[str]:
    """exec's PATH lookup, with the service's PATH (the image's venv first)."""
    found = shutil.which(argv[0], path=env.get("PATH"))
    if found is None:
        raise SmokeFailure(f"{argv[0]} is not on the service's PATH {env.get('PATH')}")
    return [found, *argv[1:]]


def build_image(scratch: Path, stages: list[Stage]) -> tuple[Path, Path, dict[str, str]]:
    """The build context copied to /app, the image's venv, collectstatic; answers (app, venv, ENV)."""
    step("image: build context, production virtualenv, collectstatic")
    build, final = stages[0], stages[-1]
    app, venv = scratch / "app", scratch / "venv"
    ignore = DockerIgnore.read(ROOT / ".dockerignore")
    count = 0
    for relative in ignore.context_files(ROOT):
        target = app / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
        count += 1
    ok(f"build context: {count} files copied to {app}")

    build_env = dict(BASE_IMAGE_ENV)
    build_env.update(dockerfile_env(build, build_env))
    if build_env.get("UV_PROJECT_ENVIRONMENT") != "/opt/venv" or "/app" not in build.all("WORKDIR"):
        raise SmokeFailure("Dockerfile: the build stage is expected to sync into /opt/venv from /app")
    build_env["UV_PROJECT_ENVIRONMENT"] = str(venv)
    uv_line = run_line(build, "uv sync")
    uv = shlex.split(uv_line)
    if uv[0] != "uv":
        raise SmokeFailure(f"Dockerfile: unexpected uv line {uv_line!r}")
    argv = [*uv_command(), *uv[1:]]
    result = subprocess.run(
        argv, cwd=app, env={**os.environ, **build_env}, capture_output=True, text=True, timeout=900
    )
    if result.returncode != 0:
        raise SmokeFailure(f"{uv_line}: exit {result.returncode}\n{result.stderr[-3000:]}")
    ok(f"virtualenv: `{uv_line}` (production dependencies only) → {venv}")

    translation = Translation(paths={"/app": app, "/opt/venv": venv}, database_url="", redis_netloc="")
    # The messages stage compiles the translations the runtime stage copies (locale/*/django.mo).
    compile_lines = [line for stage in stages[1:-1] for line in stage.all("RUN") if "compilemessages" in line]
    if len(compile_lines) != 1:
        raise SmokeFailure(
            f"Dockerfile: expected one RUN line with compilemessages, found {len(compile_lines)}"
        )
    compile_line = compile_lines[0]
    result = subprocess.run(
        ["sh", "-c", translation.value(compile_line)],
        cwd=app,
        env={**os.environ, **build_env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        raise SmokeFailure(f"{compile_line}: exit {result.returncode}\n{result.stderr[-3000:]}")
    ok(
        f"translations: `{compile_line}` → {sorted(str(p.relative_to(app)) for p in app.glob('locale/*/*/*.mo'))}"
    )
    image_env = dockerfile_env(final, dict(BASE_IMAGE_ENV))
    image_env = {key: translation.value(value) for key, value in image_env.items()}
    collect = run_line(final, "collectstatic")
    result = subprocess.run(
        ["sh", "-c", collect], cwd=app, env=image_env, capture_output=True, text=True, timeout=600
    )
    if result.returncode != 0:
        raise SmokeFailure(f"{collect}: exit {result.returncode}\n{result.stderr[-3000:]}")
    ok(f"`{collect}` → {image_env['CASEDESK_VAR_DIR']}/static")
    return app, venv, image_env


def uv_command() -> list[str]:
    """uv as the Makefile finds it: on PATH, or as a module of a Python 3.12+ interpreter."""
    found = shutil.which("uv")
    if found:
        return [found]  # absolute: the build stage's PATH is the image's, not this machine's
    for name in ("python3.14", "python3.13", "python3.12", "python3"):
        python = shutil.which(name)
        if python:
            probe = subprocess.run([python, "-m", "uv", "--version"], capture_output=True, check=False)
            if probe.returncode == 0:
                return [python, "-m", "uv"]
    raise SmokeFailure("uv is not installed (make venv installs it)")


def owned_paths(final: Stage) -> list[str]:
    line = run_line(final, "chown")
    match = re.search(r"chown\s+\S+\s+([^&;]+)", line)
    if match is None:
        raise SmokeFailure(f"Dockerfile: cannot read the chown line {line!r}")
    return match.group(1).split()


def admin_login_through(base: str, context: ssl.SSLContext, username: str, password: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(jar)
    )
    with opener.open(f"{base}/admin/login/", timeout=30) as response:
        page = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+\.css)"', page)
    if token is None or stylesheet is None:
        raise SmokeFailure("admin login page: no CSRF token or stylesheet")
    csrf_cookie = next((c for c in jar if c.name == "csrftoken"), None)
    if csrf_cookie is None or not csrf_cookie.secure:
        raise SmokeFailure("the CSRF cookie is missing or not Secure behind the proxy")
    with opener.open(urllib.parse.urljoin(base, stylesheet[1]), timeout=30) as response:
        if response.status != 200 or "css" not in response.headers.get("Content-Type", ""):
            raise SmokeFailure(f"static file {stylesheet[1]}: {response.status}")
    ok(f"static file {stylesheet[1]} served (WhiteNoise, collected at build)")
    form = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token[1], "username": username, "password": password, "next": "/admin/"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/admin/login/", data=form, headers={"Referer": f"{base}/admin/login/", "Origin": base}
    )
    with opener.open(request, timeout=30) as response:
        page = response.read().decode()
        final_url = response.geturl()
    session = next((c for c in jar if c.name == "sessionid"), None)
    if not final_url.endswith("/admin/") or session is None or not session.secure:
        raise SmokeFailure(f"admin login through the proxy ended at {final_url}; session cookie {session}")
    if "log out" not in page.lower() and "logout" not in page.lower():
        raise SmokeFailure("after logging in, /admin/ does not show the logged-in admin")
    ok("admin login through the proxy: CSRF accepted, Secure session cookie, /admin/ shown")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def fetch(
    url: str, context: ssl.SSLContext | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, bytes]:
    """One request, redirects not followed: answers (status, headers, body)."""
    handlers: list[Any] = [_NoRedirect()]
    if context is not None:
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


class _EchoHeaders(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({key.lower(): value for key, value in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def caddy_config(source: Path, target: Path, ports: dict[int, int], upstream: str) -> None:
    """The proxy's Caddyfile, translated: its listening ports and admin endpoint moved to free loopback
    ports (global options), and the ``web:8000`` upstream to where web listens here."""
    text = source.read_text()
    if "web:8000" not in text or not text.lstrip().startswith(("{", "#")):
        raise SmokeFailure("deploy/Caddyfile: expected a global options block and the web:8000 upstream")
    opening = re.search(r"^\{\s*$", text, flags=re.MULTILINE)
    if opening is None:
        raise SmokeFailure("deploy/Caddyfile: no global options block")
    options = f"\n\thttp_port {ports[80]}\n\thttps_port {ports[443]}\n\tadmin localhost:{ports[2019]}"
    text = text[: opening.end()] + options + text[opening.end() :]
    target.write_text(text.replace("web:8000", upstream))


def start_proxy(
    stack: Stack, compose: dict[str, Any], dotenv: dict[str, str], scratch: Path, upstream: str, label: str
) -> tuple[Service, dict[int, int], Path]:
    spec = compose["services"]["proxy"]
    home = scratch / label
    ports = {port: free_port() for port in CADDY_PORTS}
    volumes = {
        target: home / source.strip("./").replace("/", "_")
        for source, target, *_ in (volume.split(":") for volume in spec.get("volumes", []))
    }
    config_target = next(t for t in volumes if t.endswith("Caddyfile"))
    caddyfile = volumes.pop(config_target)
    translation = Translation(
        paths={**volumes, config_target: caddyfile}, database_url="", redis_netloc="", ports=ports
    )
    for directory in volumes.values():
        stack.run_as.own(directory)
    caddy_config(ROOT / "deploy" / "Caddyfile", caddyfile, ports, upstream)
    base = {"PATH": os.environ["PATH"], **CADDY_IMAGE_ENV}
    env = service_env(spec, base, dotenv, translation, "proxy")
    service = Service(
        name=label,
        argv=resolve([translation.value(word) for word in CADDY_CMD], env),
        env=env,
        cwd=home,
        health=resolve(health_argv(spec, translation), env),
        health_timeout=duration(spec["healthcheck"].get("timeout"), 5),
        health_deadline=60,
    )
    stack.start(service)
    stack.wait_healthy(service)
    return service, ports, volumes["/data"]


def check_proxy(
    stack: Stack, compose: dict[str, Any], dotenv: dict[str, str], scratch: Path, web: Service, web_port: int
) -> None:
    step("proxy: Caddy in front of web, with the compose service's Caddyfile")
    domain = dotenv["CASEDESK_DOMAIN"]
    _, ports, data = start_proxy(stack, compose, dotenv, scratch, f"127.0.0.1:{web_port}", "proxy")
    root_ca = data / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    context = ssl.create_default_context(cafile=str(root_ca))  # TLS verified against Caddy's own CA
    base = f"https://{domain}:{ports[443]}"

    status, _, body = fetch(f"{base}/healthz", context)
    if status != 200:
        raise SmokeFailure(f"GET {base}/healthz through the proxy: {status} {body[:300]!r}")
    ok(f"GET /healthz over TLS (certificate from Caddy's internal CA): 200 {json.loads(body).get('status')}")
    status, headers, _ = fetch(f"{base}/admin/", context)
    location = headers.get("Location", "")
    if status != 302 or not location.startswith("/admin/login/"):
        raise SmokeFailure(f"GET {base}/admin/: {status} → {location!r} (expected the login page)")
    ok(f"GET /admin/: 302 → {location} (Django sees HTTPS: no redirect loop)")
    status, headers, _ = fetch(f"http://{domain}:{ports[80]}/admin/")
    if status not in (301, 302, 307, 308) or not headers.get("Location", "").startswith("https://"):
        raise SmokeFailure(f"plain HTTP /admin/: {status} → {headers.get('Location')!r}")
    ok(f"plain HTTP: {status} → {headers['Location']}")

    # README's first administrator, made the way it says (non-interactively), then an admin login.
    password = secrets.token_urlsafe(24)
    superuser_env = {
        **web.env,
        "DJANGO_SUPERUSER_USERNAME": "smoke-admin",
        "DJANGO_SUPERUSER_EMAIL": "smoke-admin@example.com",
        "DJANGO_SUPERUSER_PASSWORD": password,
    }
    argv = resolve(["python", "manage.py", "createsuperuser", "--noinput"], superuser_env)
    stack.run(Service("createsuperuser", argv, superuser_env, web.cwd), timeout=120)
    admin_login_through(base, context, "smoke-admin", password)
    check_forwarded_headers(stack, compose, dotenv, scratch)


def check_forwarded_headers(
    stack: Stack, compose: dict[str, Any], dotenv: dict[str, str], scratch: Path
) -> None:
    """The same Caddyfile in front of a server that answers with the headers it received."""
    echo = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoHeaders)
    threading.Thread(target=echo.serve_forever, daemon=True).start()
    try:
        upstream = f"127.0.0.1:{echo.server_address[1]}"
        _, ports, data = start_proxy(stack, compose, dotenv, scratch, upstream, "proxy-echo")
        context = ssl.create_default_context(cafile=str(data / "caddy/pki/authorities/local/root.crt"))
        spoofed = {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "http",
            "X-Forwarded-Host": "evil.example",
        }
        status, _, body = fetch(f"https://localhost:{ports[443]}/echo", context, spoofed)
    finally:
        echo.shutdown()
    seen = json.loads(body) if status == 200 else {}
    host = f"localhost:{ports[443]}"
    expected = {
        "x-forwarded-proto": "https",
        "x-forwarded-for": "127.0.0.1",
        "x-forwarded-host": host,
        "host": host,
    }
    received = {key: seen.get(key) for key in expected}
    if received != expected:
        raise SmokeFailure(
            f"the proxy forwarded {received} for a client that sent {spoofed}; expected {expected}"
        )
    ok(f"the client's X-Forwarded-* are replaced: upstream saw {received}")


USER_COUNT = "from accounts.models import User; print(User.objects.count())"


def files_state(app: Path, writable: Path) -> dict[str, float]:
    """Every file of the image's /app outside the directories its user owns, with its mtime."""
    return {
        str(path.relative_to(app)): path.stat().st_mtime
        for path in app.rglob("*")
        if path.is_file() and writable not in path.parents
    }


def run(args: argparse.Namespace) -> None:
    compose_raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    example = env_file_read(ROOT / ".env.example")
    check_static(compose_raw, example)
    dotenv = {**example, **{name: secrets.token_hex(32) for name in GENERATED_SECRETS}}
    if dotenv.get("CASEDESK_DOMAIN") != "localhost":  # no DNS for a public name here
        print(f"   CASEDESK_DOMAIN={dotenv.get('CASEDESK_DOMAIN')} from .env.example replaced by localhost")
        dotenv["CASEDESK_DOMAIN"] = "localhost"
    compose = interpolate_tree(compose_raw, dotenv)
    stages = dockerfile_stages(ROOT / "Dockerfile")
    final = stages[-1]
    if final.all("USER") in ([], ["root"], ["0"]):
        raise SmokeFailure("Dockerfile: the image must run as a non-root USER")
    proxy_tools = [tool for tool in ("caddy", "wget") if shutil.which(tool) is None]
    if proxy_tools and args.require_proxy:
        raise SmokeFailure(
            f"--require-proxy, but {' and '.join(proxy_tools)} missing (apt-get install caddy wget)"
        )

    scratch = Path(tempfile.mkdtemp(prefix="casedesk-compose-"))
    scratch.chmod(0o755)  # the service user reads the image's copy below it
    stack = Stack(scratch, RunAs())
    try:
        app, venv, image_env = build_image(scratch, stages)
        stack.run_as = run_as = RunAs.unprivileged(venv / "bin" / "python")
        volumes: dict[str, Path] = {}
        paths: dict[str, Path] = {"/app": app, "/opt/venv": venv}
        for spec in (compose["services"][name] for name in APP_SERVICES):
            for volume in spec.get("volumes", []):
                source, target = volume.split(":")[:2]
                paths[target] = volumes.setdefault(source, scratch / "volumes" / source)
        owned = owned_paths(final)
        for path in owned:
            run_as.own(Path(Translation(paths, "", "").path(path)))
        ok(f"owned by the service user ({run_as.name}), as the Dockerfile's chown: {', '.join(owned)}")
        image_files = files_state(app, app / "var")

        step("servers: PostgreSQL and Redis stand in for the postgres and redis services")
        database_recreate(args.database_url)
        web_port = free_port()
        translation = Translation(
            paths=paths,
            database_url=args.database_url,
            redis_netloc=urllib.parse.urlsplit(args.redis_url).netloc,
            ports={8000: web_port},
        )
        services: dict[str, Service] = {}
        for name in APP_SERVICES:
            spec = compose["services"][name]
            env = service_env(spec, image_env, dotenv, translation, name)
            check = spec.get("healthcheck")
            services[name] = Service(
                name=name,
                argv=resolve(command_argv(spec, translation), env),
                env=env,
                cwd=app,
                health=resolve(health_argv(spec, translation), env) if check else None,
                health_timeout=duration((check or {}).get("timeout"), 30),
                health_deadline=health_deadline(spec) if check else 0,
            )
        print(
            f"   web listens on 127.0.0.1:{web_port} (compose: 0.0.0.0:8000); services run as {run_as.name}"
        )

        step("migrate: `" + shlex.join(compose["services"]["migrate"]["command"]) + "`, twice")
        for attempt in ("first start", "second start (every `up` and upgrade runs it again)"):
            started = time.monotonic()
            output = stack.run(services["migrate"])
            summary = next((line for line in output.splitlines() if line.startswith("reference data")), "")
            ok(f"{attempt}: exit 0 in {time.monotonic() - started:.0f}s; {summary}")
        web = services["web"]
        users = stack.run(
            web, resolve(["python", "manage.py", "shell", "-c", USER_COUNT], web.env), timeout=120
        )
        if users.strip().splitlines()[-1] != "0":
            raise SmokeFailure(f"bootstrap left users in the database: {users.strip()}")
        ok("after migrate + bootstrap the database holds no user")

        step("web, worker, beat: their commands, then their own health checks")
        for name in ("web", "worker", "beat"):
            stack.start(services[name])
        for name in ("web", "worker", "beat"):
            stack.wait_healthy(services[name])

        if proxy_tools:
            print(f"   proxy skipped: {' and '.join(proxy_tools)} not installed (CI passes --require-proxy)")
        else:
            check_proxy(stack, compose, dotenv, scratch, web, web_port)
        stack.check_alive()
        ok("no service exited")
        written = sorted(
            name for name, mtime in files_state(app, app / "var").items() if image_files.get(name) != mtime
        )
        if written:
            raise SmokeFailure(f"the services wrote outside what the image's user owns: {written[:20]}")
        ok(f"nothing in /app was written outside {', '.join(owned)}")
    finally:
        stack.stop_all()
        if args.keep:
            print(f"   scratch kept: {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("COMPOSE_SMOKE_DATABASE_URL", ""),
        help="PostgreSQL database for the postgres service (dropped and recreated; its name must contain "
        "'compose'). Default: $COMPOSE_SMOKE_DATABASE_URL",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("CELERY_BROKER_URL", ""),
        help="Redis server for the redis service (its host and port). Default: $CELERY_BROKER_URL",
    )
    parser.add_argument("--require-proxy", action="store_true", help="fail instead of skipping the proxy")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory (logs, copies)")
    args = parser.parse_args()
    if not args.database_url.startswith("postgres") or not args.redis_url.startswith("redis"):
        parser.error("needs a PostgreSQL --database-url and a Redis --redis-url")
    started = time.monotonic()
    try:
        run(args)
    except SmokeFailure as failure:
        print(f"\ncompose smoke: FAILED: {failure}", flush=True)
        return 1
    print(f"\ncompose smoke: passed in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
