"""Rules written once (issue 22): each concept has one writer, read from the source itself, so a
second writer added anywhere fails here rather than drifting apart from the first."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_PACKAGES = ("accounts", "cases", "config", "core", "reports", "sla", "status")


def _modules(packages: tuple[str, ...] = DOMAIN_PACKAGES) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    if isinstance(node, ast.Name):
        return node.id
    return "?"


def _case_event_writes(path: Path) -> list[int]:
    """Lines that create CaseEvent rows: through the model's manager or a set-based insert (an unsaved
    instance, such as the webhook catalogue's example, writes nothing)."""
    lines = []
    for call in _calls(ast.parse(path.read_text(), str(path))):
        name = _dotted(call.func)
        first = _dotted(call.args[0]) if call.args else ""
        if name in {"CaseEvent.objects.create", "CaseEvent.objects.bulk_create"} or (
            name.endswith("insert_from_select") and first == "CaseEvent"
        ):
            lines.append(call.lineno)
    return lines


def test_only_the_events_module_writes_case_events() -> None:
    writers = {
        str(path.relative_to(ROOT)): lines
        for path in _modules((*DOMAIN_PACKAGES, "notifications"))
        if (lines := _case_event_writes(path))
    }
    assert set(writers) == {"cases/services/events.py"}, writers


def _analyst_time_zone_writes(path: Path) -> list[int]:
    """In modules that use ``AnalystProfile``: lines that set a ``time_zone`` (an attribute, a
    create/update keyword, or, in services, a field named in a dict of values to set; elsewhere such
    a dict is a form's initial values)."""
    tree = ast.parse(path.read_text(), str(path))
    uses_profile = any(
        isinstance(node, ast.ImportFrom) and any(alias.name == "AnalystProfile" for alias in node.names)
        for node in ast.walk(tree)
    )
    if not uses_profile:
        return []
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "time_zone" and isinstance(node.ctx, ast.Store):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and _dotted(node.func).rsplit(".", 1)[-1] in _ROW_WRITES:
            lines += [node.lineno for keyword in node.keywords if keyword.arg == "time_zone"]
        elif isinstance(node, ast.Dict) and "services" in path.parts:
            keys = [key.value for key in node.keys if isinstance(key, ast.Constant)]
            lines += [node.lineno] if "time_zone" in keys else []
    return lines


_ROW_WRITES = {"create", "update", "get_or_create", "update_or_create", "bulk_create", "bulk_update"}


def test_only_analyst_time_zone_set_writes_an_analysts_time_zone() -> None:
    writers = {
        str(path.relative_to(ROOT)): lines
        for path in _modules((*DOMAIN_PACKAGES, "notifications"))
        if (lines := _analyst_time_zone_writes(path))
    }
    assert set(writers) == {"cases/services/workspace.py"}, writers
    assert len(writers["cases/services/workspace.py"]) == 1  # in analyst_time_zone_set


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("CaseEvent.objects.create(case=case)", [1]),
        ("CaseEvent.objects.bulk_create([event])", [1]),
        ("insert_from_select(CaseEvent, qs, {})", [1]),
        ("core.bulk.insert_from_select(CaseEvent, qs, {})", [1]),
        ("CaseEvent.objects.filter(case=case)", []),
    ],
)
def test_the_event_writer_scan_sees_each_way_of_writing(
    tmp_path: Path, source: str, expected: list[int]
) -> None:
    module = tmp_path / "module.py"
    module.write_text(source)
    assert _case_event_writes(module) == expected


# Imports inside functions that Django requires to be lazy: app modules load while the registry
# fills, before any model exists. Anything else imported inside a function hides a cycle.
# Every app's ``AppConfig.ready`` may import; one more function is listed by name.
LAZY_IMPORTS_ALLOWED = {
    ("core/apps.py", "_sync_beat_schedule"),  # a post_migrate hook: django-celery-beat's models
}


def _lazy_import_allowed(path: str, function: str) -> bool:
    return (path.endswith("/apps.py") and function == "ready") or (path, function) in LAZY_IMPORTS_ALLOWED


def _imports_inside_functions(path: Path) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found += [
                (node.name, inner.lineno)
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            ]
    return found


def test_no_import_inside_a_function_dodges_a_cycle() -> None:
    inner = {
        (str(path.relative_to(ROOT)), function, line)
        for path in _modules((*DOMAIN_PACKAGES, "notifications", "inbound"))
        for function, line in _imports_inside_functions(path)
        if not _lazy_import_allowed(str(path.relative_to(ROOT)), function)
    }
    assert inner == set()
