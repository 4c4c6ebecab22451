"""The README's "Quick start for integrators" works as written: its shell block (curl) and its Python
block (the generated client) run, in order, against a live server holding the demo data, so the
README cannot drift from the API."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import global_settings, settings
from django.core.management import call_command

from cases.models import Case, Comment
from tests.clients.generated import client_generate

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.client]
README = Path(settings.BASE_DIR) / "README.md"


def quickstart_blocks() -> list[tuple[str, str]]:
    """(language, code) of each fenced block in the README's quick-start section, in order."""
    text = README.read_text()
    section = re.search(r"^## Quick start for integrators\n(.*?)^## ", text, re.MULTILINE | re.DOTALL)
    assert section is not None, "README has no '## Quick start for integrators' section"
    return re.findall(r"^```(\w+)\n(.*?)^```", section.group(1), re.MULTILINE | re.DOTALL)


def test_the_quick_start_has_a_curl_block_and_a_client_block():
    assert [language for language, _ in quickstart_blocks()] == ["sh", "python"]


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_readme_quick_start_runs_against_a_live_server(server: str, tmp_path: Path, settings):
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS  # the demo logins' hashes are real ones
    call_command("demo_load", "--no-cases", verbosity=0)  # what `make run` loads: the demo logins
    (_, shell), (_, python) = quickstart_blocks()

    curl = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", shell],
        env={**os.environ, "BASE": f"{server}/api/v1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert curl.returncode == 0, curl.stdout + curl.stderr
    assert curl.stdout.splitlines()[-1] == "not_found"
    case = Case.objects.get(subject="Bank file rejected")
    assert Comment.objects.filter(case=case).count() == 1

    client_generate(schema_url=f"{server}/api/schema/", into=tmp_path)
    script = tmp_path / "quickstart.py"
    script.write_text(python)
    run = subprocess.run(
        [sys.executable, str(script)],
        env={**os.environ, "CASEDESK_URL": server, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.startswith("201 ")
    assert Case.objects.filter(subject="Bank file rejected again").count() == 1
    assert Comment.objects.filter(case__subject="Bank file rejected again", body="Attached.").exists()
