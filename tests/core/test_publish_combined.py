"""Tasks a write publishes together leave in one message after its commit (``publishes_combined``);
each still runs, a rollback still drops them, and a lost message still leaves their work to the sweeps."""

import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import before_task_publish
from django.core import mail
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership
from cases.models import AnalystProfile, Case, Queue
from config.celery import app as celery_app
from core.publish import TOGETHER_TASK, publish_after_commit, publishes_combined
from core.tasks import tasks_run_together_task
from notifications.models import Notification
from tests.cases.test_api import _create_payload
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, ProductInstanceFactory, member

ROUTE = "cases.tasks.case_route_task"
DELIVER = "notifications.tasks.notifications_deliver_many_task"


def _routing_ready() -> Queue:
    analyst = AnalystFactory()
    AnalystProfile.objects.create(user=analyst, availability=AnalystProfile.Availability.AVAILABLE)
    queue = Queue.objects.create(name="All", auto_assign=True)
    queue.analysts.add(analyst)
    return queue


@pytest.fixture
def sent_messages() -> Iterator[list[tuple[str, list[Any]]]]:
    """(task name, args) of every message this process hands to the broker (Celery's own signal)."""
    sent: list[tuple[str, list[Any]]] = []

    def record(sender: str | None = None, body: Any = None, **_: Any) -> None:
        sent.append((str(sender), list(body[0])))

    before_task_publish.connect(record, weak=False)
    try:
        yield sent
    finally:
        before_task_publish.disconnect(record)


@pytest.mark.real_worker
@pytest.mark.postgres  # the worker thread and the test share committed rows
@pytest.mark.django_db(transaction=True)
def test_opening_a_case_sends_one_message_that_routes_it_and_delivers_its_notices(api_client, sent_messages):
    queue = _routing_ready()
    company = CompanyFactory()
    api_client.force_authenticate(member(company, role=Membership.Role.DSU))

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = api_client.post(
            reverse("case-list"), _create_payload(ProductInstanceFactory(company=company))
        )
        published_by_the_request = list(sent_messages)
        assert response.status_code == 201, response.json()
        case = Case.objects.get(pk=response.json()["id"])
        rows = Notification.objects.filter(case=case)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (  # bounded wait for the asynchronous worker
            Case.objects.get(pk=case.pk).routing_pending or rows.exclude(status="sent").exists()
        ):
            time.sleep(0.2)

    assert [name for name, _ in published_by_the_request] == [TOGETHER_TASK]
    [calls] = published_by_the_request[0][1]
    written_with_the_case = rows.filter(created_at=case.created_at).order_by("pk")
    # Routing first: the delivery of the notices may wait on the mail relay.
    assert calls == [[ROUTE, [case.pk]], [DELIVER, [[row.pk for row in written_with_the_case]]]]
    case.refresh_from_db()
    assert (case.routing_pending, case.queue) == (False, queue)
    assert rows.exists() and {row.status for row in rows} == {"sent"}
    assert case.opened_by.email in {address for message in mail.outbox for address in message.to}


@pytest.mark.django_db
def test_the_tasks_of_a_block_register_one_callback_and_all_run(django_capture_on_commit_callbacks):
    _routing_ready()
    case = CaseFactory(routing_pending=True)
    row = Notification.objects.create(
        idempotency_key="test:combined",
        kind="status_incident",
        channel=Notification.Channel.EMAIL,
        to_address="reader@example.test",
        context={"name": "Reader", "product": "Ledger", "title": "Outage", "message": "Hello"},
        next_attempt_at=case.created_at,
        created_at=case.created_at,
    )

    with django_capture_on_commit_callbacks() as callbacks, publishes_combined():
        publish_after_commit(ROUTE, case.pk)
        with publishes_combined():  # a nested block joins the outer one's message
            publish_after_commit(DELIVER, [row.pk])

    assert len(callbacks) == 1
    callbacks[0]()  # the commit
    case.refresh_from_db()
    row.refresh_from_db()
    assert (case.routing_pending, row.status) == (False, "sent")


@pytest.mark.django_db
def test_a_block_rolled_back_with_its_transaction_sends_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic(), publishes_combined():
            publish_after_commit(ROUTE, 1)
            raise RuntimeError("the write failed")
        with publishes_combined():
            pass  # nothing published: nothing registered

    assert callbacks == []


@pytest.mark.django_db
def test_every_task_of_a_combined_message_runs_even_after_one_fails_and_the_failure_is_raised():
    _routing_ready()
    case = CaseFactory(routing_pending=True)

    with pytest.raises(TypeError):  # ping without its argument
        tasks_run_together_task.apply(args=[[["core.tasks.ping", []], [ROUTE, [case.pk]]]])

    case.refresh_from_db()
    assert case.routing_pending is False
