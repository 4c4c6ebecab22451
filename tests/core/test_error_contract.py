"""Every error path the schema documents, walked: each operation is called the ways a client gets
wrong (no credentials, a bad token, a repeated or nonsense query parameter, an unacceptable Accept,
a body that is not JSON, a JSON body of the wrong shape, ids of nothing), and every 4xx or 5xx it
answers must carry a non-null string ``code`` that the schema documents for that operation and
status. A code the schema does not list, or ``"code": null``, fails."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from accounts.models import Membership
from tests.factories import CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db
METHODS = {"get", "post", "put", "patch", "delete"}
NOTHING = 999_999_999


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def world(settings, tmp_path) -> dict[str, Any]:
    settings.MEDIA_ROOT = tmp_path
    settings.THROTTLE_RATES = {"anon": "100000/min", "user": "100000/min"}  # the walk is many calls
    company = CompanyFactory()
    manager = member(company, role=Membership.Role.MANAGER)
    case = CaseFactory(company=company, opened_by=manager)
    return {
        "user": manager,
        "ids": {
            "case_id": case.pk,
            "company_id": company.pk,
            "user_id": manager.pk,
            "token_id": "0" * 15,
            "product_code": "no-such-product",
            "token": "no-such-survey",
        },
    }


def _url(path: str, ids: dict[str, Any]) -> str:
    for name in [part[1:-1] for part in path.split("/") if part.startswith("{")]:
        path = path.replace(f"{{{name}}}", str(ids.get(name, NOTHING)))
    return path


def _documented(operation: dict[str, Any], status: int) -> set[str]:
    response = operation["responses"].get(str(status), {})
    return set(response.get("content", {}).get("application/json", {}).get("examples", {}))


def _calls(method: str, operation: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(what, request arguments) for each wrong way to call the operation."""
    calls: list[tuple[str, dict[str, Any]]] = [
        ("no credentials", {"anonymous": True}),
        ("a bad token", {"anonymous": True, "HTTP_AUTHORIZATION": "Token " + "f" * 64}),
        ("a repeated parameter", {"query": "zz=1&zz=2"}),
        ("an unacceptable Accept", {"HTTP_ACCEPT": "application/xml"}),
        ("ids of nothing", {"ids_of_nothing": True}),
    ]
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "query":
            for value in ("%C3%A9-nonsense", "-1"):
                calls.append((f"{parameter['name']}={value}", {"query": f"{parameter['name']}={value}"}))
    if "requestBody" in operation:
        calls += [
            ("a body that is not JSON", {"body": "{", "content_type": "application/json"}),
            ("a text body", {"body": "hello", "content_type": "text/plain"}),
            ("a JSON array", {"body": "[]", "content_type": "application/json"}),
            ("an empty object", {"body": "{}", "content_type": "application/json"}),
            (
                "wrong types",
                {"body": '{"subject": 1, "body": [], "transition": 7}', "content_type": "application/json"},
            ),
        ]
    return calls


def test_every_error_answered_is_documented_for_its_operation_with_a_code(schema, world):
    problems: list[str] = []
    answered: set[tuple[int, str]] = set()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if method not in METHODS or operation["operationId"].startswith("auth_tokens_revoke"):
                continue
            for what, call in _calls(method, operation):
                client = APIClient()
                if not call.pop("anonymous", False):
                    client.force_authenticate(world["user"])
                ids = {} if call.pop("ids_of_nothing", False) else world["ids"]
                url = _url(path, ids)
                if query := call.pop("query", None):
                    url = f"{url}?{query}"
                body = call.pop("body", None)
                content_type = call.pop("content_type", None)
                kwargs = {**call, **({"content_type": content_type} if content_type else {})}
                response = client.generic(method.upper(), url, body or "", **kwargs)
                if response.status_code < 400:
                    continue
                where = f"{method.upper()} {path} with {what}: {response.status_code}"
                try:
                    code = response.json().get("code")
                except ValueError:
                    problems.append(f"{where} is not JSON")
                    continue
                answered.add((response.status_code, str(code)))
                if not isinstance(code, str) or not code:
                    problems.append(f"{where} has code {code!r}")
                elif code not in _documented(operation, response.status_code):
                    problems.append(f"{where} {code!r} is not documented for it")
    assert problems == []
    # The walk reached the errors it is about (else it proves nothing).
    assert {
        (401, "not_authenticated"),
        (401, "authentication_failed"),
        (400, "repeated_parameter"),
        (406, "not_acceptable"),
        (404, "not_found"),
        (400, "parse_error"),
        (415, "unsupported_media_type"),
        (400, "invalid"),
        (400, "invalid_pagination"),
        (400, "invalid_cursor"),
        (400, "invalid_ordering"),
    } <= answered
