"""Request ids: taken from ``X-Request-ID`` only when well formed, returned on every response, on
every log line of the request, and carried to the Celery tasks it queues."""

import logging
import re
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from accounts.models import Membership
from config.celery import app as celery_app
from core.observability.request_id import _current, request_id_get
from core.publish import TOGETHER_TASK
from core.tasks import ping
from tests.core.conftest import json_log_capture
from tests.factories import (
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    member,
)

pytestmark = pytest.mark.django_db
GENERATED = re.compile(r"[0-9a-f]{32}")
# A page outside DRF's rate limits: these tests must not spend the anonymous allowance that the
# other tests of the run share (one counter per client address and minute, in Redis).
PAGE = "/healthz"


@pytest.mark.parametrize("incoming", ["abc", "A-b_c.9", "x" * 64, "0b7e7a3c-2f6e-4a59-9c1e-8f3f6c2d9a11"])
def test_a_well_formed_incoming_id_is_kept(client, incoming):
    response = client.get(PAGE, HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "x" * 65,  # too long
        "two words",
        "line\r\nX-Injected: yes",
        'quote"d',
        "semi;colon",
        "ünïcode",
        "<script>alert(1)</script>",
        "../../etc/passwd",
    ],
)
def test_an_unacceptable_incoming_id_is_replaced_by_a_new_one(client, incoming):
    response = client.get(PAGE, HTTP_X_REQUEST_ID=incoming)

    assert GENERATED.fullmatch(response["X-Request-ID"])
    assert response["X-Request-ID"] != incoming


def test_each_request_without_an_id_gets_its_own(client):
    ids = {client.get(PAGE)["X-Request-ID"] for _ in range(3)}

    assert len(ids) == 3 and all(GENERATED.fullmatch(value) for value in ids)


@pytest.mark.urls("tests.core.urls_failing")
@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/no-such-endpoint/", 404),
        ("/api/v1/me/", 401),  # refused before any view code
        ("/api/v1/cases/?status=open&page_size=1&page_size=2", 400),  # refused by a middleware
        ("/api/v1/failing/", 500),
    ],
)
def test_error_responses_carry_the_id_too(client, path, status):
    client.raise_request_exception = False

    response = client.get(path, HTTP_X_REQUEST_ID="err-check-1")

    assert response.status_code == status
    assert response["X-Request-ID"] == "err-check-1"


@pytest.mark.urls("tests.core.urls_failing")
def test_the_log_lines_of_a_request_carry_its_id(client, json_log_lines):
    client.raise_request_exception = False

    client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="req-404")
    client.get("/api/v1/failing/", HTTP_X_REQUEST_ID="req-500")
    logging.getLogger("casedesk.test").info("between requests")

    lines = json_log_lines()
    not_found = next(line for line in lines if line["message"] == "Not Found: /api/v1/no-such-endpoint/")
    failed = next(line for line in lines if line["message"] == "Internal Server Error: /api/v1/failing/")
    between = next(line for line in lines if line["message"] == "between requests")
    assert (not_found["request_id"], not_found["level"], not_found["logger"]) == (
        "req-404",
        "WARNING",
        "django.request",
    )
    assert failed["request_id"] == "req-500"
    assert "RuntimeError: the view failed on purpose" in failed["exc_info"]
    assert between["request_id"] is None  # the finished request's id does not leak into later lines


def test_a_task_run_eagerly_keeps_the_callers_id():
    """Eager tasks (tests, CELERY_TASK_ALWAYS_EAGER) run inside their caller: the caller's id stays."""
    token = _current.set("caller-id")
    try:
        assert ping.delay("x").get() == "pong: x"
        assert request_id_get() == "caller-id"
    finally:
        _current.reset(token)


def _create_case_payload(instance):
    return {
        "product_instance": instance.pk,
        "subject": "Cannot post journal entries",
        "problem_summary": "Posting fails with GL-42 since this morning.",
        "reason": CaseReasonFactory().code,
        "application_area": ApplicationAreaFactory().code,
        "business_impact_scope": "organisation",
        "business_impact": "high",
    }


@pytest.mark.real_worker
@pytest.mark.postgres  # the worker thread and the test share committed rows
@pytest.mark.django_db(transaction=True)
def test_the_tasks_a_request_queues_log_with_the_requests_id(api_client):
    """Through the real broker: the id leaves in the message headers and the worker (its own
    thread, which starts with no id of its own) sets it around each task."""
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company)
    customer = member(company, role=Membership.Role.DSU)
    api_client.force_authenticate(customer)

    with (
        start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        json_log_capture() as json_log_lines,
    ):
        response = api_client.post(
            reverse("case-list"),
            _create_case_payload(instance),
            format="json",
            HTTP_X_REQUEST_ID="case-open-42",
        )
        assert response.status_code == 201, response.content
        deadline = time.monotonic() + 60
        done: list[dict] = []
        while time.monotonic() < deadline and not done:  # bounded wait for the asynchronous worker
            done = [
                line
                for line in json_log_lines()
                if line.get("task_name") == TOGETHER_TASK and "succeeded" in line["message"]
            ]
            time.sleep(0.2)
        lines = json_log_lines()

    assert response["X-Request-ID"] == "case-open-42"
    assert len(done) == 1
    assert (done[0]["request_id"], done[0]["logger"]) == ("case-open-42", "celery.app.trace")
    # every line logged while the task ran says so (the "received" line is the consumer's, before it)
    task_lines = [line for line in lines if line.get("task_id") == done[0]["task_id"]]
    assert task_lines and {line["request_id"] for line in task_lines} == {"case-open-42"}
