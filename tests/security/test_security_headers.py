"""Rule: every response carries the standard security headers, with production settings.

``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``, ``X-Frame-Options: DENY``,
``Cross-Origin-Opener-Policy: same-origin`` and a Content-Security-Policy: the strict document
policy for HTML pages (admin, API docs, error pages), ``default-src 'none'; frame-ancestors 'none'``
for everything else. Answers given early by middleware (refused query strings, oversized bodies)
carry them too. HSTS on HTTPS. The HTML the project renders itself has no inline code the policy
would block (the browser proof is test_pages_load_under_csp_in_the_browser.py).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import AnalystFactory
from tests.security.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NON_HTML_POLICY = {"default-src": ["'none'"], "frame-ancestors": ["'none'"]}
# name -> (method, path, extra client kwargs, who: None/"customer"/"analyst", HTML?)
REQUESTS = {
    "API answer": ("get", "/api/v1/me/", {}, "customer", False),
    "API 401": ("get", "/api/v1/me/", {}, None, False),
    "API 404": ("get", "/api/v1/no-such-endpoint/", {}, "customer", False),
    "API 400 parse_error": (
        "post",
        "/api/v1/auth/token/",
        {"data": b"{", "content_type": "application/json"},
        None,
        False,
    ),
    "API 400 refused query string (middleware)": (
        "get",
        "/api/v1/cases/?search=a&search=b",
        {},
        "customer",
        False,
    ),
    "API 413 (middleware)": ("post", "/api/v1/auth/token/", {"CONTENT_LENGTH": "99999999"}, None, False),
    "OpenAPI schema": ("get", "/api/schema/", {}, None, False),
    "RSS feed": ("get", "/status/feed/rss/", {}, None, False),
    "iCalendar": ("get", "/status/maintenance.ics", {}, None, False),
    "health": ("get", "/healthz", {}, None, False),
    "API docs": ("get", "/api/docs/", {}, None, True),
    "admin login": ("get", "/admin/login/", {}, None, True),
    "admin changelist": ("get", "/admin/cases/case/", {}, "analyst", True),
    "HTML 404": ("get", "/no-such-page/", {}, None, True),
}


@pytest.fixture
def request_as(client, case, token):
    analyst = AnalystFactory()

    def send(method: str, path: str, extra: dict, who: str | None):
        kwargs = dict(extra)
        if who == "customer":
            kwargs["HTTP_AUTHORIZATION"] = f"Token {token}"
        elif who == "analyst":
            client.force_login(analyst)
        return getattr(client, method)(path, **kwargs)

    return send


def _directives(policy: str) -> dict[str, list[str]]:
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


@pytest.mark.parametrize(("method", "path", "extra", "who", "html"), REQUESTS.values(), ids=REQUESTS.keys())
def test_every_response_has_the_security_headers(request_as, method, path, extra, who, html):
    response = request_as(method, path, extra, who)

    assert response.status_code < 500, response.content[:300]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = response["Content-Security-Policy"]
    assert response["Content-Type"].startswith("text/html") is html
    directives = _directives(policy)
    if not html:
        assert directives == NON_HTML_POLICY
        return
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    for directive in ("script-src", "style-src"):
        assert directives[directive][0] == "'self'"
        assert all(source.startswith("'nonce-") for source in directives[directive][1:]), policy


def test_https_answers_carry_hsts(client):
    response = client.get("/api/v1/status/", secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


# --- No inline code the policy would block ------------------------------------------------------

_TAGS = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
_INLINE_ATTRIBUTES = re.compile(r"\s(style|on[a-z]+)\s*=", re.IGNORECASE)


def blocked_inline_code(html: str, nonce: str | None) -> list[str]:
    """Inline ``<script>``/``<style>`` without the page's nonce, and ``style=``/``on…=`` attributes."""
    problems = []
    for tag, attributes in _TAGS.findall(html):
        if tag.lower() == "script" and re.search(r"\ssrc\s*=", attributes):
            continue
        if nonce is None or f'nonce="{nonce}"' not in attributes:
            problems.append(f"<{tag}{attributes}>")
    for element in re.findall(r"<[a-zA-Z][^>]*>", html):
        if _INLINE_ATTRIBUTES.search(element):
            problems.append(element)
    return problems


def _nonce(response) -> str | None:
    match = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"])
    return match.group(1) if match else None


def test_the_checker_finds_blocked_inline_code():
    assert blocked_inline_code('<style>a{}</style><div onclick="x()" style="color: red">', "n") == [
        "<style>",
        '<div onclick="x()" style="color: red">',
    ]
    assert blocked_inline_code('<script nonce="n">1</script><script src="/a.js"></script>', "n") == []


def test_the_api_docs_inline_code_carries_the_nonce_of_the_header(client):
    response = client.get("/api/docs/")

    nonce = _nonce(response)
    html = response.content.decode()
    assert nonce and html.count(f'nonce="{nonce}"') == 2  # Swagger UI's inline style and script
    assert blocked_inline_code(html, nonce) == []


def test_the_admin_pages_have_no_inline_code(client, case):
    analyst = AnalystFactory()
    analyst.set_password(PASSWORD)
    analyst.save(update_fields=["password"])
    login_page = client.get("/admin/login/")
    client.force_login(analyst)
    pages = [
        login_page,
        client.get(reverse("admin:index")),
        client.get(reverse("admin:cases_case_changelist")),
        client.get(reverse("admin:cases_case_change", args=[case.pk])),
        client.get(reverse("admin:cases_case_transition", args=[case.pk, "close_out_of_scope"])),
        # The analyst workspace's settings and its htmx fragments (issue 19).
        client.get(reverse("admin:cases_analystprofile_preferences")),
        client.get(reverse("admin:cases_case_presence", args=[case.pk]), HTTP_HX_REQUEST="true"),
        client.get(
            reverse("admin:cases_case_macros", args=[case.pk]), {"macro_q": "x"}, HTTP_HX_REQUEST="true"
        ),
        client.post(
            reverse("admin:cases_case_macro_insert", args=[case.pk]), {"body": "x"}, HTTP_HX_REQUEST="true"
        ),
    ]

    for page in pages:
        assert page.status_code == 200, page.content[:300]
        assert blocked_inline_code(page.content.decode(), _nonce(page)) == [], page.wsgi_request.path
