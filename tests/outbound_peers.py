"""Real peers for outbound HTTP tests: HTTP servers on loopback that record every connection, and a
stand-in for the DNS (a true boundary: the names tests use must not depend on a resolver).

Import the fixtures into a test module (``from tests.outbound_peers import fake_dns``)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class RecordingServer(ThreadingHTTPServer):
    """An HTTP server on loopback that records every TCP connection it accepts (before any HTTP is
    read) and every request, and answers each with ``respond(handler) -> (status, headers)``."""

    daemon_threads = True

    def __init__(
        self, respond: Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str]]], host: str = "127.0.0.1"
    ):
        self.respond = respond
        self.connections: list[tuple[str, int]] = []
        self.requests: list[Received] = []
        super().__init__((host, 0), _Handler)

    def verify_request(self, request, client_address) -> bool:  # type: ignore[no-untyped-def]
        self.connections.append(client_address)
        return True

    @property
    def url(self) -> str:
        return f"http://{self.server_address[0]}:{self.server_address[1]}"

    def __enter__(self) -> RecordingServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def _any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.requests.append(Received(self.command, self.path, dict(self.headers), body))
        status, headers = self.server.respond(self)
        self.send_response(status)
        for name, value in {"Content-Length": "0", **headers}.items():
            self.send_header(name, value)
        self.end_headers()

    do_GET = do_POST = do_PUT = do_HEAD = _any

    def log_message(self, *args: object) -> None:
        pass


def answer(status: int, **headers: str) -> Callable[[BaseHTTPRequestHandler], tuple[int, dict[str, str]]]:
    return lambda handler: (status, headers)


@dataclass
class FakeDns:
    """Names in ``answers`` resolve to their addresses; every other name fails to resolve. Numeric
    hosts and ``localhost`` go to the system resolver, which answers them without a network."""

    answers: dict[str, list[str]] = field(default_factory=dict)
    lookups: Counter[str] = field(default_factory=Counter)


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeDns]:
    dns = FakeDns()
    real_getaddrinfo = socket.getaddrinfo
    real_connect = socket.socket.connect

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):  # type: ignore[no-untyped-def]
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name)
            numeric = True
        except ValueError:
            numeric = False
        if numeric or name == "localhost":
            return real_getaddrinfo(host, port, family, type, proto, flags)
        dns.lookups[name] += 1
        if name not in dns.answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        results = []
        for address in dns.answers[name]:
            parsed = ipaddress.ip_address(address)
            if parsed.version == 4:
                results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            else:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
        return results

    def connect(self, address):  # type: ignore[no-untyped-def]
        # A guard, not a feature: these tests give names public addresses to pass the policy, and
        # no test may ever open a connection off this machine.
        if self.family in (socket.AF_INET, socket.AF_INET6):
            assert ipaddress.ip_address(address[0]).is_loopback, f"test tried to connect to {address[0]}"
        return real_connect(self, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield dns
