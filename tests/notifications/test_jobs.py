"""Scheduled jobs: auto-close and its reminder at their exact edges, surveys, beat schedule, cron
commands, and one run of a real Celery worker and beat closing a case end to end."""

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from celery.beat import EmbeddedService
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from accounts.models import Membership
from cases.models import Case, CaseEvent, CaseFollower, SatisfactionSurvey
from cases.notices.customers import notifications_for_case_event
from cases.services import case_auto_close_due, case_auto_close_reminders_due, case_transition
from config.beat import DEFAULT_SCHEDULE
from config.celery import app as celery_app
from notifications.delivery import DELIVERY_CHUNK
from notifications.models import Notification, WebhookEndpoint
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, member

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)


def in_verify_resolution(at, **case_fields):
    case = CaseFactory(status=Case.Status.IN_PROGRESS, **case_fields)
    return case_transition(
        case=case, actor=AnalystFactory(), transition="propose_resolution", resolution="Done", now=at
    ).case


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
    ).case
    case = case_transition(
        case=case,
        actor=AnalystFactory(),
        transition="propose_resolution",
        resolution="Now",
        now=NOW + timedelta(days=8),
    ).case

    assert case_auto_close_reminders_due(now=NOW + timedelta(days=15)) == [case.pk]


def test_auto_close_notifies_and_sends_a_survey_answered_on_the_page_it_links(
    api_client, client, django_capture_on_commit_callbacks
):
    case = in_verify_resolution(NOW)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert case_auto_close_due(now=NOW + timedelta(days=9)) == [case.pk]

    closing = [m for m in mail.outbox if _headline(m) in ("Your case is closed", "Votre cas est fermé")]
    assert len(closing) == 1 and closing[0].to == [case.opened_by.email]
    survey = SatisfactionSurvey.objects.get(case=case)
    page = f"/surveys/{survey.token}/"
    assert f"{page}?rating=good" in closing[0].body and f"{page}?rating=bad" in closing[0].body

    opened = client.get(f"{page}?rating=good")  # shows the choice; records nothing
    survey.refresh_from_db()
    assert opened.status_code == 200 and survey.answered_at is None
    confirmed = client.post(page, {"rating": "good"})
    changed = api_client.post(
        f"/api/v1/surveys/{survey.token}/answer/", {"rating": "bad", "comment": "Slow"}, format="json"
    )
    bogus = api_client.get("/api/v1/surveys/nope/answer/")

    assert confirmed.status_code == 200
    assert (changed.json()["rating"], changed.json()["comment"]) == ("bad", "Slow")
    assert bogus.status_code == 404


def test_an_auto_close_batch_publishes_one_message_and_the_worker_sends_every_row_in_chunks(
    django_capture_on_commit_callbacks,
):
    cases = [in_verify_resolution(NOW) for _ in range(DELIVERY_CHUNK + 5)]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=False) as published:
        closed = case_auto_close_due(now=NOW + timedelta(days=9))
    for callback in published:
        callback()  # eager Celery in tests: the worker's fan-out into chunk tasks runs here

    assert sorted(closed) == sorted(c.pk for c in cases) and len(published) == 1
    closing = Notification.objects.filter(kind="case_closed")
    assert closing.count() == len(cases) and set(closing.values_list("status", flat=True)) == {"sent"}
    headlines = [_headline(m) for m in mail.outbox]
    assert headlines.count("Votre cas est fermé") + headlines.count("Your case is closed") == len(cases)


def _headline(message):
    """What an e-mail says happened: its first line (a case's e-mails all have the case's subject)."""
    return message.body.splitlines()[0]


def _outbox(case, at):
    """The case's outbox rows written ``at`` as comparable tuples (the random survey token blanked)."""
    rows = Notification.objects.filter(case=case, created_at=at).order_by(
        "channel", "recipient_id", "webhook_id"
    )
    token = SatisfactionSurvey.objects.filter(case=case).values_list("token", flat=True).first()
    return [
        (
            row.idempotency_key,
            row.kind,
            row.channel,
            row.recipient_id,
            row.to_address,
            row.webhook_id,
            row.language,
            row.status,
            row.next_attempt_at,
            row.created_at,
            json.loads(json.dumps(row.context).replace(token, "TOKEN") if token else json.dumps(row.context)),
        )
        for row in rows
    ]


@pytest.mark.parametrize(
    "scenario",
    ["opener and client contact", "contact is the opener", "inactive contact, opener without e-mail"],
)
def test_the_auto_close_batch_writes_what_the_one_event_path_writes(
    scenario, django_capture_on_commit_callbacks
):
    """The batch builds its rows in SQL; they must be the rows ``notifications_for_case_event``
    builds in Python for the same event: keys, recipients, languages, contexts, webhooks, survey."""
    company = CompanyFactory(language="fr")
    opener = member(company, first_name="", last_name="", language="es")  # name falls back to username
    contact = member(company, first_name="Élise", last_name="Martin")  # language from the company
    if scenario == "contact is the opener":
        contact = opener
    elif scenario == "inactive contact, opener without e-mail":
        contact.is_active = False
        contact.save(update_fields=["is_active"])
        opener.email = ""
        opener.save(update_fields=["email"])
    WebhookEndpoint.objects.create(
        company=company,
        url="https://hooks.example.com/casedesk",
        event_types=["auto_closed"],
        created_by=opener,
        created_at=NOW,
    )
    case = in_verify_resolution(NOW, company=company, opened_by=opener, on_behalf_of=contact)
    told = member(company, role=Membership.Role.DSU, language="en")
    for follower in (
        told,
        member(company, role=Membership.Role.DSU, email=""),  # entitled, but no address
        member(CompanyFactory(), role=Membership.Role.DSU),  # another company's: never told
    ):
        CaseFollower.objects.create(case=case, user=follower, created_at=NOW)
    closed_at = NOW + timedelta(days=9)
    with django_capture_on_commit_callbacks(execute=False):
        assert case_auto_close_due(now=closed_at) == [case.pk]
    by_batch = _outbox(case, closed_at)
    survey = SatisfactionSurvey.objects.get(case=case)

    Notification.objects.filter(case=case, created_at=closed_at).delete()
    SatisfactionSurvey.objects.filter(case=case).delete()
    with django_capture_on_commit_callbacks(execute=False):
        notifications_for_case_event(event=CaseEvent.objects.get(case=case, type=CaseEvent.Type.AUTO_CLOSED))

    assert by_batch == _outbox(case, closed_at)
    assert survey.respondent == opener and len(survey.token) >= 32
    customers = {"opener and client contact": 3, "contact is the opener": 2}.get(scenario, 1)
    assert [row[2] for row in by_batch] == ["email"] * customers + ["webhook"]
    contexts = {row[3]: row[10] for row in by_batch if row[2] == "email"}
    assert all(context["automatic"] is True for context in contexts.values())
    assert contexts[told.pk]["survey_url"] == ""  # the survey asks the opener only
    if opener.email:
        assert "TOKEN" in contexts[opener.pk]["survey_url"]


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


def test_rows_written_in_bulk_get_message_ids_of_the_same_shape_as_one_by_one(settings):
    import re

    cases = [in_verify_resolution(NOW) for _ in range(3)]
    case_auto_close_due(now=NOW + timedelta(days=9))

    ids = list(
        Notification.objects.filter(case__in=cases, kind="case_closed").values_list("message_id", flat=True)
    )
    domain = re.escape(settings.EMAIL_MESSAGE_ID_DOMAIN)
    assert len(ids) >= 3 and len(set(ids)) == len(ids)
    assert all(re.fullmatch(rf"<[0-9a-f]{{32}}\.outbox@{domain}>", message_id) for message_id in ids)
