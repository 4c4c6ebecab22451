"""The deployment files read the way scripts/compose_smoke.py and Docker read them: .env.example lists
every setting, the compose file interpolates from it, .dockerignore keeps local state out. The smoke
run itself (real processes) is in .ci/run."""

import ast
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


@pytest.fixture(scope="module")
def smoke():
    spec = importlib.util.spec_from_file_location("compose_smoke", ROOT / "scripts" / "compose_smoke.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["compose_smoke"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


def settings_variables() -> set[str]:
    """Every environment variable config/settings.py reads (env_* helpers and os.environ)."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = ast.unparse(node.func)
            if func.startswith("env_") or func in ("os.environ.get", "os.getenv"):
                names.add(node.args[0].value)
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            names.add(ast.unparse(node.slice).strip("'\""))
    return names


def test_env_example_documents_every_setting():
    text = (ROOT / ".env.example").read_text()
    assert len(settings_variables()) > 30  # the scan found the settings (it would pass on none)
    missing = sorted(name for name in settings_variables() if not re.search(rf"\b{name}\b", text))
    assert missing == []


def test_env_example_ships_no_secret(smoke):
    example = smoke.env_file_read(ROOT / ".env.example")
    assert {name: example[name] for name in smoke.GENERATED_SECRETS} == dict.fromkeys(
        smoke.GENERATED_SECRETS, ""
    )
    assert example["INBOUND_EMAIL_SECRET"] == example["EMAIL_HOST_PASSWORD"] == ""


def test_compose_interpolates_from_env_example_and_refuses_to_start_without_secrets(smoke):
    raw = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    example = smoke.env_file_read(ROOT / ".env.example")

    with pytest.raises(smoke.SmokeFailure, match="POSTGRES_PASSWORD"):
        smoke.interpolate_tree(raw, example)

    compose = smoke.interpolate_tree(raw, {**example, "POSTGRES_PASSWORD": "pw"})
    web = compose["services"]["web"]
    assert web["environment"]["DATABASE_URL"] == "postgres://casedesk:pw@postgres:5432/casedesk"
    assert web["environment"]["ALLOWED_HOSTS"] == example["CASEDESK_DOMAIN"]
    assert "0.0.0.0:8000" in web["command"] and "http://127.0.0.1:8000/healthz" in web["healthcheck"]["test"]
    assert compose["services"]["migrate"]["command"][-1].endswith("manage.py bootstrap")
    assert "ports" not in web  # only the proxy is reachable from outside


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${A}", {"A": "x"}, "x"),
        ("$A/$$A", {"A": "x"}, "x/$A"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A-d}", {}, "d"),
        ("${A:+alt}", {"A": "x"}, "alt"),
        ("${A:+alt}", {}, ""),
        ("https://${A}", {"A": "h"}, "https://h"),
    ],
)
def test_interpolation_follows_compose(smoke, text, variables, expected):
    assert smoke.interpolate(text, variables) == expected


@pytest.mark.parametrize("text", ["${A:?needed}", "${A?needed}"])
def test_a_required_variable_that_is_missing_stops_compose(smoke, text):
    with pytest.raises(smoke.SmokeFailure, match="needed"):
        smoke.interpolate(text, {})


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        (".venv/lib/python3.12/site-packages/django/__init__.py", True),
        ("var/casedesk.sqlite3", True),
        ("var/media/attachments/a.png", True),
        (".git", True),
        (".env", True),
        (".env.production", True),
        ("artifacts/schemathesis/CUSTOMER.xml", True),
        ("cases/__pycache__/models.cpython-312.pyc", True),
        ("tests/conftest.py", True),
        ("manage.py", False),
        ("cases/models.py", False),
        ("fixtures/reference/04_sla.json", False),
        ("scripts/healthcheck.py", False),
        ("deploy/Caddyfile", False),
    ],
)
def test_build_context_keeps_out_local_state(smoke, path, excluded):
    assert smoke.DockerIgnore.read(ROOT / ".dockerignore").excluded(path) is excluded


def test_dockerignore_rules_last_match_wins(smoke, tmp_path):
    (tmp_path / ".dockerignore").write_text("# comment\n/docs\n*.md\n!README.md\n**/*.tmp\n")
    ignore = smoke.DockerIgnore.read(tmp_path / ".dockerignore")

    assert [
        ignore.excluded(p) for p in ("docs/a.txt", "NOTES.md", "README.md", "a/b/c.tmp", "a/NOTES.md")
    ] == [
        True,
        True,
        False,
        True,
        False,  # "*.md" is anchored at the root: one level only, as Docker matches it
    ]


def test_translation_touches_only_service_names_paths_and_ports(smoke, tmp_path):
    translation = smoke.Translation(
        paths={"/app": tmp_path / "app", "/data/media": tmp_path / "media"},
        database_url="postgres://postgres@127.0.0.1:54329/casedesk_compose",
        redis_netloc="127.0.0.1:63799",
        ports={8000: 41234},
    )

    assert translation.value("postgres://casedesk:pw@postgres:5432/casedesk") == translation.database_url
    assert translation.value("redis://redis:6379/2") == "redis://127.0.0.1:63799/2"
    assert translation.value("/data/media") == str(tmp_path / "media")
    assert translation.value("/app/var") == str(tmp_path / "app" / "var")
    assert translation.value("0.0.0.0:8000") == "127.0.0.1:41234"
    assert translation.value("http://127.0.0.1:8000/healthz") == "http://127.0.0.1:41234/healthz"
    for untouched in (
        "redis://cache.example:6379/0",
        "https://localhost",
        "/application",
        "config.wsgi:application",
    ):
        assert translation.value(untouched) == untouched
