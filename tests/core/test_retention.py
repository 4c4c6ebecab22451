"""Retention of Idempotency-Key records: gone after their age, never while still honoured."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command

from core.idempotency import create_once
from core.models import IdempotencyRecord
from core.retention import idempotency_records_purge
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _record(user, key, created_at):
    return IdempotencyRecord.objects.create(
        user=user, scope="case", key=key, object_id=1, created_at=created_at
    )


def test_records_older_than_the_age_go(settings):
    settings.RETENTION_IDEMPOTENCY_RECORDS = timedelta(hours=48)
    user = UserFactory()
    _record(user, "old", NOW - timedelta(hours=48) - SECOND)
    _record(user, "young", NOW - timedelta(hours=48) + SECOND)

    with time_machine.travel(NOW, tick=False):
        call_command("run_job", "idempotency-records-purge")

    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["young"]


def test_a_key_still_honoured_is_never_purged_whatever_the_setting(settings):
    """The setting may not undercut the 24 hours during which a repeated key answers the first result."""
    settings.RETENTION_IDEMPOTENCY_RECORDS = timedelta(hours=1)
    case = CaseFactory()
    user = case.opened_by
    create_once(
        user_id=user.pk,
        scope="case",
        key="k-1",
        model=type(case),
        create=lambda: case,
        now=NOW - timedelta(hours=23),
    )
    _record(user, "expired", NOW - timedelta(hours=24) - SECOND)

    assert idempotency_records_purge(now=NOW) == 1

    again, created = create_once(
        user_id=user.pk, scope="case", key="k-1", model=type(case), create=CaseFactory, now=NOW
    )
    assert (again, created) == (case, False)  # the key still answers the first case
