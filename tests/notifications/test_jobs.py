"""Scheduled jobs: auto-close and its reminder at their exact edges, surveys, beat schedule, cron
commands, and one run of a real Celery worker and beat closing a case end to end."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cases.models import Case, CaseEvent
from cases.services import case_auto_close_due, case_auto_close_reminders_due, case_transition
from config.beat import DEFAULT_SCHEDULE
from config.celery import app as celery_app
from notifications.models import Notification, SatisfactionSurvey
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def in_verify_resolution(at):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)
    return case_transition(
        case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Done", now=at
    )


def test_reminder_goes_out_two_days_before_the_auto_close_exactly_once():
    case = in_verify_resolution(NOW)  # closes at NOW + 9 days; reminder from NOW + 7 days

    assert case_auto_close_reminders_due(now=NOW + timedelta(days=7) - timedelta(seconds=1)) == []
    assert case_auto_close_reminders_due(now=NOW + timedelta(days=7)) == [case.pk]
    assert case_auto_close_reminders_due(now=NOW + timedelta(days=8)) == []

    reminder = Notification.objects.get(kind="auto_close_reminder")
    assert reminder.recipient == case.opened_by
    assert "2026-06-10" in reminder.context["auto_close_date"]


def test_a_new_stay_in_verify_resolution_gets_a_new_reminder():
    case = in_verify_resolution(NOW)
    case_auto_close_reminders_due(now=NOW + timedelta(days=7))
    case = case_transition(
        case=case,
        actor=case.opened_by,
        transition="reject_resolution",
        message="No",
        now=NOW + timedelta(days=7, hours=1),
    )
    case = case_transition(
        case=case,
        actor=AnalystFactory(),
        transition="propose_resolution",
        resolution="Now",
        now=NOW + timedelta(days=8),
    )

    assert case_auto_close_reminders_due(now=NOW + timedelta(days=15)) == [case.pk]


def test_auto_close_notifies_and_sends_a_survey_answerable_from_the_link(
    api_client, django_capture_on_commit_callbacks
):
    case = in_verify_resolution(NOW)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert case_auto_close_due(now=NOW + timedelta(days=9)) == [case.pk]

    closing = [m for m in mail.outbox if "closed" in m.subject.lower() or "fermé" in m.subject]
    assert len(closing) == 1 and closing[0].to == [case.opened_by.email]
    survey = SatisfactionSurvey.objects.get(case=case)
    link = f"/api/v1/surveys/{survey.token}/answer/?rating=good"
    assert link in closing[0].body

    clicked = api_client.get(link)
    changed = api_client.post(
        f"/api/v1/surveys/{survey.token}/answer/", {"rating": "bad", "comment": "Slow"}, format="json"
    )
    bogus = api_client.get("/api/v1/surveys/nope/answer/?rating=good")

    assert clicked.json()["rating"] == "good"
    assert (changed.json()["rating"], changed.json()["comment"]) == ("bad", "Slow")
    assert bogus.status_code == 404


def test_beat_schedule_is_synced_once_and_operator_edits_survive():
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= set(
        DEFAULT_SCHEDULE
    )  # post_migrate did it
    PeriodicTask.objects.filter(name="sla-sweep").update(enabled=False)

    call_command("beat_sync", verbosity=0)

    assert PeriodicTask.objects.filter(name__in=DEFAULT_SCHEDULE).count() == len(DEFAULT_SCHEDULE)
    assert PeriodicTask.objects.get(name="sla-sweep").enabled is False


def test_every_job_has_a_cron_command(capsys):
    for name in DEFAULT_SCHEDULE:
        call_command("run_job", name)
    assert "cases-auto-close: 0" in capsys.readouterr().out


@pytest.mark.real_worker
@pytest.mark.postgres  # SQLite's shared in-memory test database locks whole tables between threads
@pytest.mark.django_db(transaction=True)
def test_real_worker_and_beat_auto_close_a_case_end_to_end(tmp_path):
    """Beat fires the auto-close job every second; a real worker consumes it from the broker."""
    now = timezone.now()
    case = in_verify_resolution(now - timedelta(days=9, minutes=1))  # its 9 days ran out a minute ago
    schedule = {"auto-close": {"task": "cases.tasks.cases_auto_close_task", "schedule": 1.0}}
    celery_app.conf.update(beat_schedule=schedule, beat_scheduler="celery.beat:Scheduler")
    beat = EmbeddedService(celery_app, thread=True, schedule_filename=str(tmp_path / "beat-schedule"))
    try:
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            beat.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # bounded wait for the asynchronous worker
                case.refresh_from_db()
                if case.status == Case.Status.CLOSED:
                    break
                time.sleep(0.25)
    finally:
        beat.stop()
        celery_app.conf.update(
            beat_schedule={}, beat_scheduler="django_celery_beat.schedulers:DatabaseScheduler"
        )

    assert case.status == Case.Status.CLOSED
    assert CaseEvent.objects.filter(case=case, type=CaseEvent.Type.AUTO_CLOSED, actor=None).count() == 1
    assert Notification.objects.filter(case=case, kind="case_closed").exists()
