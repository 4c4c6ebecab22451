"""``manage.py bootstrap``: production's reference data, each row offered once, and never a user."""

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.core import serializers
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from accounts.models import Product, User
from cases.models import ApplicationArea, CannedResponse, CaseReason, Queue
from config.beat import DEFAULT_SCHEDULE
from core.models import ReferenceSeed
from core.reference_data import reference_data_load, reference_fixture_dir
from sla.models import SlaTarget
from status.models import MaintenanceWindow

pytestmark = pytest.mark.django_db
REFERENCE = reference_fixture_dir()


def fixture_rows() -> list[dict]:
    return [row for path in sorted(REFERENCE.glob("*.json")) for row in json.loads(path.read_text())]


def expected_counts() -> Counter[str]:
    return Counter(row["model"] for row in fixture_rows())


def database_counts() -> Counter[str]:
    return Counter({label: apps.get_model(label).objects.count() for label in expected_counts()})


def snapshot() -> str:
    """Every reference row as stored, serialized: equal snapshots mean nothing changed."""
    rows = [
        obj for label in sorted(expected_counts()) for obj in apps.get_model(label).objects.order_by("pk")
    ]
    return serializers.serialize("json", rows, use_natural_foreign_keys=True)


def test_bootstrap_on_an_empty_database_creates_the_reference_data_and_no_user():
    call_command("bootstrap", verbosity=0)

    assert database_counts() == expected_counts()
    assert User.objects.count() == 0
    assert set(DEFAULT_SCHEDULE) <= set(PeriodicTask.objects.values_list("name", flat=True))
    analysts = next(row for row in fixture_rows() if row["fields"].get("name") == "Support analysts")
    assert Group.objects.get(name="Support analysts").permissions.count() == len(
        analysts["fields"]["permissions"]
    )
    assert ReferenceSeed.objects.filter(outcome="created").count() == len(fixture_rows())


def test_bootstrap_twice_changes_nothing():
    call_command("bootstrap", verbosity=0)
    before, seeds = snapshot(), ReferenceSeed.objects.count()

    result = reference_data_load()

    assert (result.created, result.found, result.skipped) == (Counter(), 0, [])
    assert (snapshot(), ReferenceSeed.objects.count()) == (before, seeds)


def test_an_operators_edits_and_deletions_survive_bootstrap():
    call_command("bootstrap", verbosity=0)
    CaseReason.objects.filter(code="access").update(name="Login and SSO")
    target = SlaTarget.objects.order_by("pk").first()
    SlaTarget.objects.filter(pk=target.pk).update(minutes=target.minutes + 15)
    deleted = CannedResponse.objects.order_by("pk").first()
    deleted.delete()

    call_command("bootstrap", verbosity=0)

    assert CaseReason.objects.get(code="access").name == "Login and SSO"
    assert SlaTarget.objects.get(pk=target.pk).minutes == target.minutes + 15
    assert not CannedResponse.objects.filter(pk=deleted.pk).exists()


def test_a_reference_row_a_release_adds_is_created_on_the_next_bootstrap(tmp_path: Path):
    call_command("bootstrap", verbosity=0)
    shutil.copytree(REFERENCE, tmp_path, dirs_exist_ok=True)
    new_row = {"model": "cases.casereason", "pk": 99, "fields": {"code": "billing", "name": "Billing"}}
    (tmp_path / "99_release.json").write_text(json.dumps([new_row]))

    result = reference_data_load(fixture_dir=tmp_path)

    assert result.created == Counter({"cases.CaseReason": 1})
    assert CaseReason.objects.get(pk=99).code == "billing"


def test_rows_loaded_before_the_ledger_are_found_and_left_as_they_are():
    # An older installation: its demo_load wrote the same rows with loaddata.
    call_command("loaddata", *sorted(str(p) for p in REFERENCE.glob("*.json")), verbosity=0)
    CaseReason.objects.filter(code="access").update(name="Login and SSO")

    result = reference_data_load()

    assert (result.created, result.found) == (Counter(), len(fixture_rows()))
    assert CaseReason.objects.get(code="access").name == "Login and SSO"
    assert ReferenceSeed.objects.filter(outcome="found").count() == len(fixture_rows())


def test_a_row_colliding_with_an_operators_row_is_skipped_and_the_rest_loads():
    mine = CaseReason.objects.create(pk=500, code="access", name="Our own access reason")

    result = reference_data_load()

    fixture_pk = next(r["pk"] for r in fixture_rows() if r["fields"].get("code") == "access")
    assert [reason.split(":")[:2] for reason in result.skipped] == [["cases.casereason", str(fixture_pk)]]
    assert CaseReason.objects.get(code="access") == mine
    assert database_counts() == expected_counts()  # the operator's row stands in for the skipped one
    assert ReferenceSeed.objects.get(key=f"cases.casereason:{fixture_pk}").outcome == "skipped"


def test_rows_referring_to_a_deleted_row_are_skipped_without_failing():
    ReferenceSeed.objects.create(key="accounts.product:2", outcome="created", seeded_at="2026-01-01T00:00Z")

    result = reference_data_load()

    assert not Product.objects.filter(pk=2).exists()  # offered before, deleted since: not recreated
    dependants = {r["model"] for r in fixture_rows() if r["fields"].get("product") == 2}
    assert dependants == {"cases.applicationarea", "cases.queue", "status.maintenancewindow"}
    assert {reason.split(":")[0] for reason in result.skipped} == dependants
    assert not ApplicationArea.objects.filter(product_id=2).exists()
    assert not Queue.objects.filter(product_id=2).exists()
    assert not MaintenanceWindow.objects.filter(product_id=2).exists()
    assert Product.objects.filter(pk=1).exists()


def test_reference_fixtures_may_not_hold_users(tmp_path: Path):
    shutil.copy(Path(REFERENCE.parent, "demo", "01_users.json"), tmp_path / "01_users.json")

    with pytest.raises(ValueError, match="must not contain users"):
        reference_data_load(fixture_dir=tmp_path)

    assert User.objects.count() == 0


@pytest.mark.postgres
def test_rows_created_after_bootstrap_get_fresh_primary_keys():
    """Fixture rows carry their own primary keys; PostgreSQL's sequences must be moved past them."""
    call_command("bootstrap", verbosity=0)

    created = CaseReason.objects.create(code="billing", name="Billing")

    assert created.pk > max(r["pk"] for r in fixture_rows() if r["model"] == "cases.casereason")
