"""Every error code the code can answer is defined once in the catalogue (core.errors), with the
status it is raised with: the schema's error examples come from there, so a code missing from it
would be undocumented, and one raised with another status documented wrongly."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from django.conf import settings

from accounts.selectors import ActingRefusal
from core.errors import CATALOGUE, ApplicationError, ValidationFailed
from notifications import outbound

ROOT = Path(settings.BASE_DIR)
APPS = ["core", "accounts", "cases", "sla", "notifications", "inbound", "status", "reports", "config"]
# Field-level codes (inside a validation error's `errors`), not answers of their own.
FIELD_LEVEL = {"ErrorDetail", "ValidationError"}
# Calls that take a `code` that is not an error's (a support region's).
NOT_ERRORS = {"SupportRegion"}


def _sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and (ROOT / app).is_dir()
    ]


def _application_errors() -> dict[str, type[ApplicationError]]:
    """Every ApplicationError subclass by name (the apps' own included)."""
    for path in _sources():
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":  # a package is imported by its own name, never twice
            parts = parts[:-1]
        importlib.import_module(".".join(parts))
    found: dict[str, type[ApplicationError]] = {}
    pending: list[type[ApplicationError]] = [ApplicationError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _is_error_body(node: ast.Dict) -> bool:
    keys = {key.value for key in node.keys if isinstance(key, ast.Constant)}
    return {"code", "detail"} <= keys


def _codes_used() -> list[tuple[str, str, int | None]]:
    """(where, code, status) for every literal code in the application: ``code="..."`` passed to any
    call but a field-level error (status known when the call makes an ApplicationError), a ``"code":
    "..."`` member of a dict literal with a ``"detail"`` (bodies written by hand), and subclasses' ``default_code``."""
    classes = _application_errors()
    used: list[tuple[str, str, int | None]] = []
    for path in _sources():
        tree = ast.parse(path.read_text())
        where = str(path.relative_to(ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) not in FIELD_LEVEL | NOT_ERRORS:
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        cls = classes.get(_call_name(node))
                        status = cls.status_code if cls is not None else None
                        used.append((f"{where}:{node.lineno}", str(keyword.value.value), status))
            elif isinstance(node, ast.Dict) and _is_error_body(node):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "code"
                        and isinstance(value, ast.Constant)
                        and isinstance(value.value, str)
                    ):
                        used.append((f"{where}:{node.lineno}", value.value, None))
    for cls in classes.values():
        used.append((cls.__qualname__, cls.default_code, cls.status_code))
    return used


def test_every_code_raised_is_in_the_catalogue_with_its_status():
    unknown = sorted({f"{code} ({where})" for where, code, _ in _codes_used() if code not in CATALOGUE})
    wrong_status = sorted(
        f"{code}: raised as {status} at {where}, defined as {CATALOGUE.get(code).status}"
        for where, code, status in _codes_used()
        if code in CATALOGUE and status is not None and CATALOGUE.get(code).status != status
    )
    # The base classes' defaults that no one raises bare are the one exception.
    unknown = [entry for entry in unknown if not entry.startswith(("unprocessable (",))]
    assert unknown == [], "codes missing from the catalogue (define them in <app>/errors.py)"
    assert wrong_status == []


def test_codes_chosen_at_run_time_are_in_the_catalogue():
    computed = [refusal.value for refusal in ActingRefusal]
    computed += [
        outbound.URL_INVALID,
        outbound.HTTPS_REQUIRED,
        outbound.CREDENTIALS_FORBIDDEN,
        outbound.URL_FORBIDDEN,
        outbound.HOST_UNRESOLVABLE,
    ]
    assert [code for code in computed if code not in CATALOGUE] == []


def test_the_scan_sees_raises_and_hand_written_bodies():
    """The scan above is only as good as what it finds: known raises and bodies are among them."""
    used = {(code, status) for _, code, status in _codes_used()}
    assert ("case_closed", 409) in used
    assert ("invalid_pagination", 400) in used
    assert ("too_many_parameters", None) in used
    assert "subject_not_in_company" in {code for code, _ in used}  # a subclass's own __init__


@pytest.mark.parametrize("definition", list(CATALOGUE), ids=lambda d: d.code)
def test_each_definition_makes_the_error_it_documents(definition):
    if definition.status not in {400, 403, 404, 409, 413, 415, 422}:
        pytest.skip("answered by the framework, not raised as an ApplicationError")
    error = definition.error()
    body = {"code": error.code, "detail": error.detail, **error.extra}
    assert (error.status_code, body) == (
        definition.status,
        {"code": definition.code, "detail": definition.detail},
    )
    assert definition.example()["code"] == definition.code


def test_a_code_cannot_be_defined_twice_differently():
    with pytest.raises(ValueError, match="defined twice"):
        CATALOGUE.define("invalid", status=422, detail="Something else.")
    assert CATALOGUE.get("invalid").status == ValidationFailed.status_code
