"""The public OpenAPI schema, walked as an integrator reads it: every operation has a summary, a
description and one of the resource tags; every error response lists the codes that operation can
answer, each with a real example from the error catalogue; bodies are JSON (multipart only for the
upload); internal endpoints stay out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator

from core.errors import CATALOGUE
from core.schema import TAGS

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if method in METHODS
    ]


@pytest.mark.django_db
def test_openapi_schema_is_valid_and_generates_without_warnings(tmp_path: Path):
    target = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))

    assert "/api/v1/authorization-requests/{request_id}/approve/" in target.read_text()


def test_every_operation_has_a_summary_a_description_and_a_resource_tag(schema):
    missing = [
        f"{method} {path}: {what}"
        for method, path, operation in _operations(schema)
        for what, ok in [
            ("summary", bool(operation.get("summary"))),
            ("description", bool(operation.get("description"))),
            ("tag", len(operation.get("tags", [])) == 1 and operation["tags"][0] in TAGS),
        ]
        if not ok
    ]
    assert missing == []
    assert len({operation["summary"] for _, _, operation in _operations(schema)}) == len(_operations(schema))


def test_every_error_response_lists_the_codes_it_answers_with_an_example_each(schema):
    problems: list[str] = []
    for method, path, operation in _operations(schema):
        where = f"{method} {path}"
        errors = {
            status: response for status, response in operation["responses"].items() if status[0] in "45"
        }
        if not errors:
            problems.append(f"{where}: no error response")
        for status, response in errors.items():
            if status == "414":  # the web server's (gunicorn's) own answer, before the application
                assert "content" not in response
                continue
            content = response.get("content", {}).get("application/json", {})
            examples = content.get("examples", {})
            if content.get("schema") != {"$ref": "#/components/schemas/Error"} or not examples:
                problems.append(f"{where} {status}: no Error schema or no example")
            for name, example in examples.items():
                code = example["value"].get("code")
                if not isinstance(code, str) or code not in CATALOGUE:
                    problems.append(
                        f"{where} {status}: example {name} has code {code!r}, not in the catalogue"
                    )
                elif str(CATALOGUE.get(code).status) != status:
                    problems.append(f"{where} {status}: {code} is a {CATALOGUE.get(code).status}")
                elif f"`{code}`" not in response["description"] or not example["value"].get("detail"):
                    problems.append(f"{where} {status}: {code} not listed in the description, or no detail")
    assert problems == []


def test_the_errors_every_operation_can_meet_are_documented(schema):
    """Spot checks of what the schema derives from the view: authentication, throttling, bodies."""

    def codes(method: str, path: str, status: str) -> set[str]:
        response = schema["paths"][path][method]["responses"].get(status, {})
        return set(response.get("content", {}).get("application/json", {}).get("examples", {}))

    assert codes("get", "/api/v1/cases/", "401") == {"not_authenticated", "authentication_failed"}
    assert {"invalid_cursor", "invalid_ordering", "invalid_pagination", "invalid"} <= codes(
        "get", "/api/v1/cases/", "400"
    )
    assert codes("get", "/api/v1/cases/{case_id}/", "404") == {"not_found"}
    assert codes("post", "/api/v1/cases/", "422") == {"idempotency_key_reused"}
    assert {"dsu_required", "permission_denied"} <= codes("post", "/api/v1/cases/", "403")
    assert codes("post", "/api/v1/cases/{case_id}/transitions/", "409") == {
        "conflict",
        "invalid_transition",
        "reopen_window_expired",
    }
    assert codes("post", "/api/v1/auth/token/", "429") == {"throttled", "login_locked"}
    assert "401" not in schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]  # no credentials read
    assert codes("get", "/api/v1/status/", "401") == {
        "authentication_failed"
    }  # open, but a bad token is refused
    assert codes("post", "/api/v1/cases/{case_id}/attachments/", "413") == {
        "request_too_large",
        "too_many_fields",
        "too_many_files",
        "file_too_large",
    }
    assert all("503" in operation["responses"] for _, _, operation in _operations(schema))


def test_request_bodies_are_json_and_multipart_only_for_the_upload(schema):
    media = {
        operation["operationId"]: sorted(operation["requestBody"]["content"])
        for _, _, operation in _operations(schema)
        if "requestBody" in operation
    }
    assert media.pop("cases_attachments_create") == ["multipart/form-data"]
    assert {
        operation_id: types for operation_id, types in media.items() if types != ["application/json"]
    } == {}


def test_internal_endpoints_are_not_in_the_public_schema(schema):
    paths = set(schema["paths"])
    assert not {path for path in paths if not path.startswith("/api/v1/")}  # /healthz, /metrics, /inbound/…
    assert "/api/v1/inbound-email/" not in paths


def test_input_schemas_describe_themselves_or_nothing(schema):
    """The input base class's docstring was published as 14 schemas' description."""
    described = {
        name: component.get("description", "")
        for name, component in schema["components"]["schemas"].items()
        if name.endswith("Request")
    }
    assert described  # the walk sees the input schemas
    assert {name: text for name, text in described.items() if "serializer" in text.lower()} == {}


def test_creations_document_location_and_throttled_operations_the_rate_limit_fields(schema):
    created = [(method, path, op) for method, path, op in _operations(schema) if "201" in op["responses"]]
    assert len(created) >= 7
    for method, path, operation in created:
        assert operation["responses"]["201"]["headers"]["Location"]["required"] is True, (method, path)
    headers = schema["paths"]["/api/v1/cases/"]["get"]["responses"]["200"]["headers"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "RateLimit-Policy"} <= set(headers)
    assert "Retry-After" in schema["paths"]["/api/v1/cases/"]["get"]["responses"]["429"]["headers"]


def test_the_schema_lists_its_tags_with_descriptions(schema):
    used = {operation["tags"][0] for _, _, operation in _operations(schema)}
    assert [tag["name"] for tag in schema["tags"]] == [name for name in TAGS if name in used]
    assert all(tag["description"] for tag in schema["tags"])


@pytest.mark.django_db
def test_the_served_schema_is_the_generated_one(client):
    response = client.get("/api/schema/")

    assert response.status_code == 200
    served = yaml.safe_load(response.content)
    assert served["paths"].keys() == SchemaGenerator().get_schema(request=None, public=True)["paths"].keys()


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html
