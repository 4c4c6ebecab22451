"""A broker outage never turns a committed write into an error, and loses no work: every publish
after commit is best effort, and the state it would have advanced is swept up from the database."""

import time

import pytest
from django.core import mail
from django.urls import reverse
from prometheus_client import REGISTRY

from accounts.models import Membership
from cases.models import AnalystProfile, Case, Queue
from cases.services import comment_create
from cases.services.routing import cases_route_pending
from core.publish import publish
from core.tasks import ping
from notifications.delivery import notifications_deliver_due
from notifications.models import Notification
from tests.cases.test_api import _create_payload
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, ProductInstanceFactory, member

pytestmark = [pytest.mark.real_worker, pytest.mark.django_db(transaction=True)]


def _refused(task: str) -> float:
    return REGISTRY.get_sample_value("casedesk_task_publish_errors_total", {"task": task}) or 0.0


def test_a_refused_publish_is_counted_and_answers_false_quickly(broker_down):
    before = _refused("core.tasks.ping")

    started = time.monotonic()
    assert publish(ping, "anyone?") is False

    assert time.monotonic() - started < 2.0
    assert _refused("core.tasks.ping") == before + 1


def test_a_case_opened_while_the_broker_is_down_answers_201_and_the_sweep_routes_it(api_client, broker_down):
    analyst = AnalystFactory()
    AnalystProfile.objects.create(user=analyst, availability=AnalystProfile.Availability.AVAILABLE)
    queue = Queue.objects.create(name="All", auto_assign=True)
    queue.analysts.add(analyst)
    company = CompanyFactory()
    api_client.force_authenticate(member(company, role=Membership.Role.DSU))
    before = _refused("cases.tasks.case_route_task")
    before_delivery = _refused("notifications.tasks.notifications_deliver_many_task")

    response = api_client.post(reverse("case-list"), _create_payload(ProductInstanceFactory(company=company)))

    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    assert (case.routing_pending, case.queue, case.assignee) == (True, None, None)
    # one message carried both: each task's refusal is counted, each waits for its own sweep
    assert _refused("cases.tasks.case_route_task") == before + 1
    assert _refused("notifications.tasks.notifications_deliver_many_task") == before_delivery + 1

    assert cases_route_pending() == 1
    case.refresh_from_db()
    assert (case.routing_pending, case.queue, case.assignee) == (False, queue, analyst)
    assert cases_route_pending() == 0  # routed once


def test_notifications_written_while_the_broker_is_down_wait_for_the_sweep(broker_down):
    case = CaseFactory(status=Case.Status.IN_PROGRESS)

    comment_create(case=case, author=AnalystFactory(), body="We are on it", now=case.created_at)

    row = Notification.objects.get(kind="support_reply")
    assert row.status == "pending" and mail.outbox == []
    assert notifications_deliver_due()["sent"] == 1
    assert [m.to for m in mail.outbox] == [[case.opened_by.email]]
