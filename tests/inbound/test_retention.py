"""Retention of the inbound log and of the automatic answers' memory: rows past their age go, by
the beat entry's job (whose task kept its registered name when it moved to this app)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from prometheus_client import REGISTRY

from config.beat import DEFAULT_SCHEDULE
from config.celery import app as celery_app
from inbound.models import InboundAutoReply, InboundEmail
from inbound.retention import inbound_auto_replies_purge
from inbound.tasks import inbound_emails_purge_task

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _deleted(table):
    return REGISTRY.get_sample_value("casedesk_retention_deleted_rows_total", {"table": table}) or 0.0


@pytest.mark.parametrize("outcome", InboundEmail.Outcome.values)
def test_inbound_log_rows_older_than_the_age_go(settings, outcome):
    settings.RETENTION_INBOUND_EMAILS = timedelta(days=90)

    def received(at):
        return InboundEmail.objects.create(sender="a@example.com", outcome=outcome, received_at=at)

    gone = received(NOW - timedelta(days=90) - SECOND)
    kept = received(NOW - timedelta(days=90) + SECOND)
    counted_before = _deleted("inbound_email")

    with time_machine.travel(NOW, tick=False):
        call_command("run_job", "inbound-emails-purge")

    assert list(InboundEmail.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not InboundEmail.objects.filter(pk=gone.pk).exists()
    assert _deleted("inbound_email") - counted_before == 1


def test_automatic_answers_are_forgotten_after_the_log_age(settings):
    settings.RETENTION_INBOUND_EMAILS = timedelta(days=90)

    def answered(address, at):
        return InboundAutoReply.objects.create(
            address=address, last_sent_at=at, last_reason="inbound_no_access"
        )

    answered("old@example.com", NOW - timedelta(days=90) - SECOND)
    recent = answered("recent@example.com", NOW - timedelta(days=90) + SECOND)
    counted_before = _deleted("inbound_auto_reply")

    with time_machine.travel(NOW, tick=False):
        call_command("run_job", "inbound-emails-purge")

    assert list(InboundAutoReply.objects.values_list("pk", flat=True)) == [recent.pk]
    assert _deleted("inbound_auto_reply") - counted_before == 1
    assert inbound_auto_replies_purge(now=NOW) == 0  # nothing left past the age


def test_the_purge_task_keeps_the_name_beat_entries_and_queued_messages_carry():
    celery_app.loader.import_default_modules()
    name = "notifications.tasks.inbound_emails_purge_task"

    assert DEFAULT_SCHEDULE["inbound-emails-purge"][0] == name
    assert inbound_emails_purge_task.name == name
    assert celery_app.tasks[name].run.__module__ == "inbound.tasks"  # what a worker runs for that name
