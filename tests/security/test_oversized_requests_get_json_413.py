"""Rule: a request larger than its endpoint accepts gets a JSON 413 with a stable code and the limit,
on every API path, before its body is read when its Content-Length already says so.

Limits (config/settings.py, README): ``REQUEST_BODY_MAX_BYTES`` per body unless the view declares
its own (``request_body_max_bytes``; the attachment upload adds ``ATTACHMENT_MAX_BYTES``),
``DATA_UPLOAD_MAX_NUMBER_FIELDS`` and ``DATA_UPLOAD_MAX_NUMBER_FILES``. Django's own refusals of
those (``RequestDataTooBig``, ``TooManyFieldsSent``, ``TooManyFilesSent``) were its HTML 400 page.
The admin keeps HTML error pages, but never a 5xx.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import tracemalloc
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from knox.settings import CONSTANTS

from cases.models import Case
from core.limits import request_body_checked_by_view
from core.views import api_bad_request
from tests.factories import AnalystFactory, CaseFactory
from tests.security.conftest import PASSWORD, assert_json_4xx

pytestmark = pytest.mark.django_db

LIMIT = 4096


@pytest.fixture
def small_limits(settings):
    """Small limits, so the tests send kilobytes rather than megabytes."""
    settings.REQUEST_BODY_MAX_BYTES = LIMIT
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    settings.ATTACHMENT_MAX_BYTES = 3 * LIMIT


def _too_large(response, max_bytes: int) -> None:
    body = assert_json_4xx(response, 413)
    assert (body["code"], body["max_bytes"]) == ("request_too_large", max_bytes)


# --- Every API path ---------------------------------------------------------------------------


def _routes(patterns, prefix: str = "/") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


# Path parameters by converter; anything else becomes "x" (slugs, tokens). The limit applies once the
# view is known, so the values need only resolve.
_PATH_VALUES = {"int": "1", "id": "1", "token_id": "0" * CONSTANTS.TOKEN_KEY_LENGTH}


def _api_paths() -> list[str]:
    fill = lambda match: _PATH_VALUES.get(match.group(1), "x")  # noqa: E731
    paths = {
        re.sub(r"<(?:(\w+):)?\w+>", fill, route)
        for route in _routes(get_resolver().url_patterns)
        if route.startswith("/api/")
    }
    # The inbound-mail webhook reads its own body within its own limit and answers (and logs) an
    # oversized one itself: tests/security/test_inbound_bad_input_is_refused_cleanly.py.
    return sorted(path for path in paths if not request_body_checked_by_view(resolve(path).func))


def test_the_walk_finds_the_api():
    paths = _api_paths()
    assert "/api/v1/cases/1/comments/" in paths and "/api/docs/" in paths and len(paths) > 30


@pytest.mark.parametrize("path", _api_paths())
def test_every_api_path_refuses_an_oversized_content_length_with_json_413(client, small_limits, path):
    limit = LIMIT * 4 if re.fullmatch(r"/api/v1/cases/1/attachments/", path) else LIMIT
    # The body itself is tiny: the declared length alone is refused, before anything reads the body.
    response = client.generic(
        "POST", path, b"{}", content_type="application/json", CONTENT_LENGTH=str(limit + 1)
    )

    _too_large(response, limit)


# --- JSON, form and multipart bodies over the limit -----------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", json.dumps({"body": "x" * LIMIT}).encode()),
        ("application/x-www-form-urlencoded", b"body=" + b"x" * LIMIT),
        (
            "multipart/form-data; boundary=BoUnDaRy",
            encode_multipart("BoUnDaRy", {"body": "x" * LIMIT}),
        ),
    ],
    ids=["json", "form", "multipart"],
)
@pytest.mark.parametrize("authenticated", [True, False], ids=["customer", "anonymous"])
def test_an_oversized_body_is_a_json_413(client, auth, case, small_limits, content_type, body, authenticated):
    url = reverse("case-comments", args=[case.pk]) if authenticated else reverse("auth-token")

    response = client.generic("POST", url, body, content_type=content_type, **(auth if authenticated else {}))

    _too_large(response, LIMIT)
    assert not case.comments.exists()


def test_a_view_with_its_own_limit_judges_a_larger_body_by_it(client, auth, case, small_limits):
    # The attachment upload accepts ATTACHMENT_MAX_BYTES + REQUEST_BODY_MAX_BYTES: a body over the
    # global limit gets past the size check, and is then refused for what it is (JSON, not multipart).
    body = json.dumps({"file": "x" * (2 * LIMIT)}).encode()

    response = client.post(
        reverse("case-attachments", args=[case.pk]), body, content_type="application/json", **auth
    )

    assert assert_json_4xx(response, 415)["code"] == "unsupported_media_type"


def test_form_fields_beyond_djangos_memory_cap_in_a_larger_upload_are_a_json_413(
    client, auth, case, small_limits
):
    # Within the attachment endpoint's own limit, but the non-file fields exceed Django's cap.
    body = encode_multipart("BoUnDaRy", {"comment": "1" * (2 * LIMIT)})

    response = client.generic(
        "POST",
        reverse("case-attachments", args=[case.pk]),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        **auth,
    )

    _too_large(response, LIMIT)


def test_too_many_fields_is_a_json_413(client, auth, case, small_limits):
    body = encode_multipart("BoUnDaRy", {f"f{i}": "1" for i in range(51)})

    response = client.generic(
        "POST",
        reverse("case-attachments", args=[case.pk]),
        body,
        content_type="multipart/form-data; boundary=BoUnDaRy",
        **auth,
    )

    body = assert_json_4xx(response, 413)
    assert (body["code"], body["max_fields"]) == ("too_many_fields", 50)


def test_a_form_to_a_json_endpoint_is_415_however_many_fields(client, auth, case, small_limits):
    body = "&".join(f"f{i}=1" for i in range(51)).encode()

    response = client.generic(
        "POST",
        reverse("case-comments", args=[case.pk]),
        body,
        content_type="application/x-www-form-urlencoded",
        **auth,
    )

    assert assert_json_4xx(response, 415)["code"] == "unsupported_media_type"


def test_too_many_files_is_a_json_413(client, auth, case, small_limits, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    files = {f"file{i}": SimpleUploadedFile(f"app{i}.log", b"ERROR") for i in range(4)}

    response = client.post(reverse("case-attachments", args=[case.pk]), files, **auth)

    body = assert_json_4xx(response, 413)
    assert (body["code"], body["max_files"]) == ("too_many_files", 3)
    assert not case.attachments.exists()


def test_too_many_query_parameters_is_a_json_400(client, auth, small_limits):
    query = "&".join(f"f{i}=1" for i in range(51))

    response = client.get(f"{reverse('case-list')}?{query}", **auth)

    body = assert_json_4xx(response, 400)
    assert (body["code"], body["max_parameters"]) == ("too_many_parameters", 50)


# --- Attachments ------------------------------------------------------------------------------


def test_an_upload_over_the_attachment_request_limit_is_refused_before_reading(
    client, auth, case, small_limits
):
    response = client.generic(
        "POST",
        reverse("case-attachments", args=[case.pk]),
        b"--BoUnDaRy",
        content_type="multipart/form-data; boundary=BoUnDaRy",
        CONTENT_LENGTH=str(4 * LIMIT + 1),
        **auth,
    )

    _too_large(response, 4 * LIMIT)  # ATTACHMENT_MAX_BYTES + REQUEST_BODY_MAX_BYTES


def test_a_file_just_over_attachment_max_bytes_is_file_too_large(
    client, auth, case, small_limits, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path

    response = client.post(
        reverse("case-attachments", args=[case.pk]),
        {"file": SimpleUploadedFile("app.log", b"x" * (3 * LIMIT + 1))},
        **auth,
    )

    body = assert_json_4xx(response, 413)
    assert (body["code"], body["max_bytes"]) == ("file_too_large", 3 * LIMIT)


# --- The admin: HTML pages, never a 5xx -------------------------------------------------------


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        (FORM, b"username=" + b"a" * LIMIT, 413),  # our limit, before the CSRF check reads the form
        (FORM, "&".join(f"f{i}=1" for i in range(51)).encode(), 400),  # Django's own refusals
        (
            MULTIPART,
            encode_multipart("BoUnDaRy", {f"f{i}": SimpleUploadedFile(f"{i}.log", b"x") for i in range(4)}),
            400,
        ),
        ("multipart/form-data", b"--x\r\n", 400),  # no boundary
    ],
    ids=["oversized", "too many fields", "too many files", "malformed multipart"],
)
@pytest.mark.parametrize("path", ["/admin/login/", "/admin/cases/case/"])
def test_the_admin_refuses_oversized_forms_with_a_4xx_page(
    client, small_limits, path, content_type, body, status
):
    client.force_login(AnalystFactory())

    response = client.generic("POST", path, body, content_type=content_type)

    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("exception", "code", "limit"),
    [
        (RequestDataTooBig(), "request_too_large", ("max_bytes", LIMIT)),
        (TooManyFieldsSent(), "too_many_fields", ("max_fields", 50)),
        (TooManyFilesSent(), "too_many_files", ("max_files", 3)),
    ],
)
def test_djangos_refusals_outside_a_view_are_a_json_413_too(rf, small_limits, exception, code, limit):
    # Django's handler400 (config.urls) for a refusal raised by middleware reading the request.
    response = api_bad_request(rf.post("/api/v1/cases/"), exception)

    body = assert_json_4xx(response, 413)
    assert (body["code"], body[limit[0]]) == (code, limit[1])


# --- Through a real server --------------------------------------------------------------------


@pytest.fixture
def server(live_server, settings) -> str:
    """The live server running the production request handler (core.handlers), plain HTTP."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    from core.handlers import SafeWSGIHandler

    settings.SECURE_SSL_REDIRECT = False
    live_server.thread.httpd.set_app(StaticFilesHandler(SafeWSGIHandler()))
    return live_server.url


@pytest.mark.django_db(transaction=True)
def test_a_server_answers_413_without_waiting_for_a_10_gb_body(server):
    host, port = urlsplit(server).hostname, urlsplit(server).port
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(
            b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Content-Length: 10000000000\r\n\r\n{"
        )
        received = b""
        while b"\r\n\r\n" not in received or not received.rstrip().endswith(b"}"):
            chunk = connection.recv(65536)  # times out (test fails) if the server waits for the body
            if not chunk:
                break
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), head
    assert json.loads(body)["code"] == "request_too_large"


@pytest.mark.django_db(transaction=True)
def test_an_attachment_of_attachment_max_bytes_streams_through_to_disk(server, settings, tmp_path):
    """With the shipped limits, a file of exactly ATTACHMENT_MAX_BYTES is accepted, and neither the
    request nor the upload is held in memory (Django spools files to disk above
    FILE_UPLOAD_MAX_MEMORY_SIZE)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    size = settings.ATTACHMENT_MAX_BYTES
    assert size >= 25 * 1024 * 1024 and size > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    case: Case = CaseFactory()
    case.opened_by.set_password(PASSWORD)
    case.opened_by.save(update_fields=["password"])
    host, port = urlsplit(server).hostname, urlsplit(server).port

    def request(method: str, path: str, body, headers: dict[str, str]) -> tuple[int, dict]:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()

    status, answer = request(
        "POST",
        "/api/v1/auth/token/",
        json.dumps({"username": case.opened_by.username, "password": PASSWORD}),
        {"Content-Type": "application/json"},
    )
    assert status == 200, answer
    head = b'--BoUnDaRy\r\nContent-Disposition: form-data; name="file"; filename="big.log"\r\n\r\n'
    tail = b"\r\n--BoUnDaRy--\r\n"
    upload = tmp_path / "upload.bin"
    with upload.open("wb") as out:  # written in blocks: the test holds no 25 MB buffer either
        out.write(head)
        for _ in range(size // (1 << 20)):
            out.write(b"log line\n" * ((1 << 20) // 9) + b"x" * ((1 << 20) % 9))
        out.write(b"y" * (size % (1 << 20)))
        out.write(tail)
    headers = {
        "Authorization": f"Token {answer['token']}",
        "Content-Type": "multipart/form-data; boundary=BoUnDaRy",
        "Content-Length": str(upload.stat().st_size),
    }

    tracemalloc.start()
    try:
        with upload.open("rb") as body:
            status, answer = request("POST", f"/api/v1/cases/{case.pk}/attachments/", body, headers)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert status == 201, answer
    assert answer["size"] == size
    assert peak < size // 4, f"{peak:,} bytes allocated at the peak for a {size:,}-byte upload"
    stored = case.attachments.get()
    assert stored.file.size == size
