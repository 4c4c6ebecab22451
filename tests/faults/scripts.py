"""Run inside the application's environment (``manage.py shell -c``) against the fault tests'
throwaway database: seeding, and writes the tests need in bulk. Each prints one
``FAULTS_JSON=<json>`` line for the test to read."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any


def _answer(value: Any) -> None:
    print("FAULTS_JSON=" + json.dumps(value))


def seed() -> None:
    """The schema and the demo data; tokens for a customer and an analyst, an auto-assigning queue the analyst is available in,
    the case form's choices, and the sweeps on beat every 2 s (instead of every minute)."""
    from django.core.management import call_command
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    call_command("migrate", "--noinput", verbosity=0)
    call_command("demo_load", "--no-cases", verbosity=0)

    from accounts.models import ProductInstance, User
    from accounts.services import api_token_create
    from cases.models import AnalystProfile, ApplicationArea, CaseReason, Queue

    customer = User.objects.get(username="us.dsu")
    analyst = User.objects.get(username="analyst")
    AnalystProfile.objects.update_or_create(
        user=analyst, defaults={"availability": AnalystProfile.Availability.AVAILABLE}
    )
    queue, _ = Queue.objects.get_or_create(name="Faults", defaults={"auto_assign": True})
    queue.analysts.add(analyst)
    every_2s, _ = IntervalSchedule.objects.get_or_create(every=2, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.filter(name__in=["notifications-deliver-due", "cases-route-pending"]).update(
        interval=every_2s
    )
    membership = customer.membership
    _answer(
        {
            "customer": api_token_create(user=customer)[1],
            "analyst": api_token_create(user=analyst)[1],
            "analyst_id": analyst.pk,
            "company_id": membership.company_id,
            "product_instance": ProductInstance.objects.filter(company_id=membership.company_id).first().pk,
            "reason": CaseReason.objects.filter(is_active=True).first().code,
            "application_area": ApplicationArea.objects.filter(is_active=True, product__isnull=True)
            .first()
            .code,
        }
    )


def notifications_bulk(count: int, tag: str) -> None:
    """``count`` status-incident e-mails to ``count`` new subscribers, written in one transaction;
    after commit one message asks a worker to deliver them (as a real status update would)."""
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from status.notices import notifications_for_status_change

    now = timezone.now()
    users = User.objects.bulk_create(
        User(username=f"{tag}-{n}", email=f"{tag}-{n}@faults.example", first_name="Sub", last_name=str(n))
        for n in range(count)
    )
    context = {"product": "Ledger", "title": "Faults", "incident_status": "investigating", "message": tag}
    with transaction.atomic():
        rows = notifications_for_status_change(
            key=f"faults:{tag}", kind="status_incident", users=users, context=context, now=now
        )
    _answer([row.pk for row in rows])


def cases_due_for_auto_close(count: int) -> None:
    """``count`` cases proposed resolved ten days ago: past their automatic close."""
    from django.utils import timezone

    from accounts.models import User
    from cases.models import Case
    from cases.services import case_transition
    from tests.factories import CaseFactory

    analyst = User.objects.get(username="analyst")
    ten_days_ago = timezone.now() - timedelta(days=10)
    ids = []
    for _ in range(count):
        case = CaseFactory(status=Case.Status.IN_PROGRESS, assignee=analyst)
        case = case_transition(
            case=case, actor=analyst, transition="propose_resolution", resolution="Fixed", now=ten_days_ago
        ).case
        ids.append(case.pk)
    _answer(ids)


def auto_close_twice() -> None:
    """Two auto-close sweeps published at once, as two beat ticks would."""
    from cases.tasks import cases_auto_close_task

    _answer([cases_auto_close_task.delay().id, cases_auto_close_task.delay().id])
