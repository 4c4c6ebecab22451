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
