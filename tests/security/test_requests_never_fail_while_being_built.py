"""Rule: no header value makes a request fail before the application sees it.

Django builds the request object outside the code that turns exceptions into responses, so a
failure there reaches the web server as a bare 500. A ``charset`` naming a codec that is not a
character set (``rot13``, ``zlib``, ``undefined``...) or any charset with a long query string did
that; ``core.handlers`` (the WSGI and ASGI entry points) builds requests that ignore an unusable
charset and parse the query string only when middleware asks. These tests call the WSGI
application the way a server does, with every codec the interpreter knows.
"""

from __future__ import annotations

import encodings
import io
import pkgutil
from collections.abc import Iterator

import pytest
from django.core.exceptions import TooManyFieldsSent
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_started
from django.db import close_old_connections
from django.test.client import encode_multipart

import config.wsgi
from core.handlers import SafeWSGIHandler, usable_charset
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CODECS = sorted({module.name for module in pkgutil.iter_modules(encodings.__path__)} - {"aliases"})
CHARSETS = [*CODECS, "no-such-charset", "x" * 300, "utf-8;", '"utf-8"', ""]


@pytest.fixture
def wsgi(settings) -> Iterator[SafeWSGIHandler]:
    """The production handler, built after this test's settings apply, with the test transaction
    kept open across requests (as Django's test client does)."""
    settings.SECURE_SSL_REDIRECT = False
    request_started.disconnect(close_old_connections)
    try:
        yield SafeWSGIHandler()
    finally:
        request_started.connect(close_old_connections)


def call(app, method: str, path: str, *, query: str = "", content_type: str = "", body: bytes = b""):
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    started: list[tuple[str, list[tuple[str, str]]]] = []
    content = b"".join(app(environ, lambda status, headers, exc_info=None: started.append((status, headers))))
    status, headers = started[0]
    return int(status.split()[0]), dict(headers), content


def test_the_deployed_entry_point_builds_safe_requests():
    assert isinstance(config.wsgi.application, SafeWSGIHandler)


@pytest.mark.parametrize("charset", CHARSETS)
def test_no_charset_breaks_a_request(wsgi, charset):
    UserFactory(username="ana", password="right-password-123")
    login = b'{"username": "ana", "password": "right-password-123"}'
    requests = [
        ("GET", "/api/v1/status/", "tz=UTC&count=3", "text/plain", b""),
        ("POST", "/api/v1/auth/token/", "a=%41", "application/json", login),
        ("POST", "/api/v1/auth/token/", "", "application/x-www-form-urlencoded", b"username=ana&password=x"),
        (
            "POST",
            "/api/v1/auth/token/",
            "",
            "multipart/form-data; boundary=BoUnDaRy",
            encode_multipart("BoUnDaRy", {"username": "ana"}),
        ),
        (
            "POST",
            "/admin/login/",
            "next=/admin/",
            "application/x-www-form-urlencoded",
            b"username=ana&password=x",
        ),
    ]
    for method, path, query, content_type, body in requests:
        status, _, content = call(
            wsgi, method, path, query=query, content_type=f"{content_type}; charset={charset}", body=body
        )

        assert status < 500, (method, path, charset, status, content[:200])


def test_a_long_query_string_with_a_charset_is_a_json_400(wsgi, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    query = "&".join(f"f{i}=1" for i in range(51))

    status, headers, content = call(
        wsgi, "GET", "/api/v1/status/", query=query, content_type="text/plain; charset=utf-8"
    )

    assert (status, headers["Content-Type"]) == (400, "application/json")
    assert b'"too_many_parameters"' in content


def test_a_long_query_string_with_a_charset_is_a_400_page_in_the_admin(wsgi, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    query = "&".join(f"f{i}=1" for i in range(51))

    status, _, _ = call(wsgi, "GET", "/admin/login/", query=query, content_type="text/plain; charset=utf-8")

    assert status == 400


def test_a_usable_charset_is_still_honoured(wsgi):
    UserFactory(username="café", password="right-password-123")

    status, _, content = call(
        wsgi,
        "POST",
        "/api/v1/auth/token/",
        content_type="application/json; charset=iso-8859-1",
        body='{"username": "café", "password": "right-password-123"}'.encode("iso-8859-1"),
    )

    assert status == 200, content


@pytest.mark.parametrize(
    ("charset", "usable"),
    [
        ("utf-8", True),
        ("latin-1", True),
        ("rot13", False),
        ("undefined", False),
        ("punycode", False),
        ("zlib", False),
        ("nope", False),
    ],
)
def test_usable_charsets(charset, usable):
    assert usable_charset(charset) is usable


def test_djangos_own_handler_still_fails_on_these_requests(wsgi, settings):
    """Why core.handlers exists. When a Django upgrade makes this fail, its stock request builds
    these requests safely and core.handlers can go."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    stock = WSGIHandler()

    with pytest.raises(LookupError):
        call(stock, "GET", "/api/v1/status/", query="tz=UTC", content_type="text/plain; charset=rot13")
    with pytest.raises(TooManyFieldsSent):
        call(
            stock,
            "GET",
            "/api/v1/status/",
            query="&".join(f"f{i}=1" for i in range(51)),
            content_type="text/plain; charset=utf-8",
        )


def test_a_host_not_allowed_is_a_json_400_on_api_paths(client):
    response = client.get("/api/v1/status/", HTTP_HOST="evil.example")

    assert (response.status_code, response["Content-Type"]) == (400, "application/json")
    assert response.json()["code"] == "bad_request"
