"""/metrics: who may read it, and the domain's state and event metrics it reports."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import DatabaseError
from django.urls import reverse
from django.utils import timezone
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from cases.models import Case
from config.celery import app as celery_app
from core.observability.metrics import metrics_collector_register
from inbound.models import InboundEmail
from notifications.models import Notification
from sla.models import SlaTimer
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 6, 1, 9, 0, 30, tzinfo=UTC)
S = Case.Status


def scrape(client, **extra):
    return client.get(reverse("metrics"), **extra)


def samples(response) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape: (name, sorted labels) → value."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("networks", "address", "allowed"),
    [
        (["127.0.0.0/8", "::1/128"], "127.0.0.1", True),
        (["127.0.0.0/8", "::1/128"], "::1", True),
        (["127.0.0.0/8", "::1/128"], "10.1.2.3", False),
        (["10.0.0.0/8"], "10.1.2.3", True),
        (["10.0.0.0/8"], "::ffff:10.1.2.3", True),  # an IPv4 peer on a dual-stack socket
        (["10.0.0.0/8"], "11.0.0.1", False),
        ([], "127.0.0.1", False),  # no network at all: the token is the only way in
        (["127.0.0.0/8"], "not-an-address", False),
    ],
)
def test_metrics_answer_only_the_allowed_networks(client, settings, networks, address, allowed):
    settings.METRICS_ALLOWED_NETWORKS = networks
    settings.METRICS_TOKEN = ""

    response = scrape(client, REMOTE_ADDR=address)

    if allowed:
        assert response.status_code == 200
        assert b"casedesk_cases" in response.content
    else:
        assert (response.status_code, response.json()) == (
            404,
            {"code": "not_found", "detail": "No such endpoint."},
        )
        assert b"casedesk" not in response.content


@pytest.mark.parametrize(
    ("authorization", "allowed"),
    [
        ("Bearer s3cret-scrape-token", True),
        ("bearer s3cret-scrape-token", True),
        ("Bearer wrong", False),
        ("Bearer s3cret-scrape-token-and-more", False),
        ("Token s3cret-scrape-token", False),
        ("s3cret-scrape-token", False),
        (None, False),
    ],
)
def test_metrics_answer_a_bearer_of_the_token_from_anywhere(client, settings, authorization, allowed):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.METRICS_TOKEN = "s3cret-scrape-token"
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}

    response = scrape(client, REMOTE_ADDR="203.0.113.9", **headers)

    assert response.status_code == (200 if allowed else 404)


def test_without_a_token_setting_no_bearer_gets_in(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = []
    settings.METRICS_TOKEN = ""

    assert scrape(client, REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_refuse_other_methods_with_json(client, settings):
    settings.METRICS_ALLOWED_NETWORKS = ["127.0.0.0/8"]

    response = client.post(reverse("metrics"), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_metrics_are_exempt_from_the_https_redirect(client, settings):
    """Prometheus scrapes plain HTTP on the internal network, as the health checks do."""
    settings.SECURE_SSL_REDIRECT = True

    assert scrape(client, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/api/v1/", REMOTE_ADDR="127.0.0.1").status_code == 301


# --- domain state, read at scrape time --------------------------------------------------------------


def _notification(status, created_at, **fields):
    return Notification.objects.create(
        idempotency_key=f"test:{Notification.objects.count()}",
        kind="case_created",
        channel=Notification.Channel.EMAIL,
        to_address="someone@example.com",
        status=status,
        next_attempt_at=created_at,
        created_at=created_at,
        **fields,
    )


def _timer(case, metric, state, **fields):
    return SlaTimer.objects.create(case=case, metric=metric, state=state, updated_at=NOW, **fields)


def test_the_domain_state_is_reported_with_its_values(client):
    open_cases = CaseFactory.create_batch(2, status=S.OPEN)
    CaseFactory(status=S.IN_PROGRESS)
    CaseFactory(status=S.VERIFY_RESOLUTION, auto_close_at=NOW - timedelta(minutes=1))  # overdue
    CaseFactory(status=S.VERIFY_RESOLUTION, auto_close_at=NOW + timedelta(days=3))
    closed = CaseFactory(status=S.CLOSED)

    first, second = open_cases
    _timer(
        first,
        "first_response",
        "running",
        warned_at=NOW - timedelta(minutes=5),
        due_at=NOW + timedelta(hours=1),
    )
    _timer(first, "resolution", "running", due_at=NOW - timedelta(seconds=30))  # past due, sweep not run yet
    _timer(second, "first_response", "breached", breached_at=NOW - timedelta(hours=1), warned_at=NOW)
    _timer(second, "resolution", "paused", warned_at=NOW - timedelta(hours=2), due_at=NOW + timedelta(days=1))
    _timer(
        closed, "first_response", "breached", breached_at=NOW - timedelta(days=3), met_at=NOW
    )  # discharged
    _timer(closed, "resolution", "met", warned_at=NOW - timedelta(days=3), met_at=NOW)

    _notification("pending", NOW - timedelta(seconds=120))  # the oldest pending
    _notification("pending", NOW - timedelta(seconds=30))
    _notification("sending", NOW - timedelta(hours=5))  # older, but not pending
    _notification("failed", NOW - timedelta(days=2))
    _notification("failed", NOW - timedelta(days=1))
    _notification("sent", NOW - timedelta(days=10), sent_at=NOW - timedelta(days=10))

    for outcome, minutes_ago in [("refused", 5), ("refused", 59), ("refused", 61), ("commented", 10)]:
        InboundEmail.objects.create(
            sender="x@example.com", outcome=outcome, received_at=NOW - timedelta(minutes=minutes_ago)
        )

    with time_machine.travel(NOW, tick=False):
        values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))

    def value(name, **labels):
        return values[(name, tuple(sorted(labels.items())))]

    assert {labels[0][1]: v for (name, labels), v in values.items() if name == "casedesk_cases"} == {
        "open": 2,
        "in_progress": 1,
        "pending_release": 0,
        "pending_engineering": 0,
        "pending_customer": 0,
        "verify_resolution": 2,
    }  # closed cases are not counted (the one above is not)
    assert value("casedesk_cases_auto_close_overdue") == 1
    assert [value("casedesk_sla_timers_warned", metric=m) for m in ("first_response", "resolution")] == [1, 1]
    assert [value("casedesk_sla_timers_breached", metric=m) for m in ("first_response", "resolution")] == [
        1,
        0,
    ]
    assert value("casedesk_sla_timers_warned", metric="next_update") == 0
    assert value("casedesk_sla_breaches_unmarked") == 1
    assert [value("casedesk_outbox_backlog", status=s) for s in ("pending", "sending", "failed")] == [2, 1, 2]
    assert value("casedesk_outbox_oldest_pending_age_seconds") == 120
    assert [
        value("casedesk_inbound_emails_last_hour", outcome=o) for o in ("refused", "commented", "decided")
    ] == [
        2,
        1,
        0,
    ]
    assert {
        value("casedesk_metrics_collector_up", collector=c) for c in ("cases", "sla", "outbox", "inbound")
    } == {1}


def test_an_empty_outbox_has_no_pending_age(client):
    values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))

    assert values[("casedesk_outbox_oldest_pending_age_seconds", ())] == 0
    assert values[("casedesk_outbox_backlog", (("status", "pending"),))] == 0


def test_a_failing_collector_is_reported_and_the_others_still_answer(client, caplog):
    def broken():
        raise DatabaseError("connection refused")
        yield  # a generator, like the real collectors

    CaseFactory(status=S.OPEN)
    metrics_collector_register("broken", broken)
    try:
        values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))
    finally:
        from core.observability import metrics

        del metrics._state_collectors["broken"]

    assert values[("casedesk_metrics_collector_up", (("collector", "broken"),))] == 0
    assert values[("casedesk_metrics_collector_up", (("collector", "cases"),))] == 1
    assert values[("casedesk_cases", (("status", "open"),))] == 1
    assert "metrics collector 'broken' failed" in caplog.text


def test_the_scrape_reads_the_state_in_a_bounded_number_of_queries(client, django_assert_num_queries):
    CaseFactory.create_batch(3, status=S.OPEN)

    # cases: 2, sla: 3, outbox: 2, inbound: 1, jobs: 2 (beat's intervals, the job runs); none per row
    with django_assert_num_queries(10):
        scrape(client, REMOTE_ADDR="127.0.0.1")


# --- events, counted where they happen ---------------------------------------------------------------


def _counter(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_throttled_requests_are_counted_by_scope(client, api_client, settings):
    cache.clear()
    settings.THROTTLE_RATES = {"anon": "2/min", "user": "100/min"}
    before = _counter("casedesk_throttled_requests_total", scope="anon")

    with time_machine.travel(NOW, tick=False):
        statuses = [api_client.get(reverse("api-root")).status_code for _ in range(4)]
    values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))

    assert statuses == [200, 200, 429, 429]
    assert values[("casedesk_throttled_requests_total", (("scope", "anon"),))] - before == 2
    cache.clear()


def test_auto_close_runs_and_closed_cases_are_counted(client):
    CaseFactory(status=S.VERIFY_RESOLUTION, auto_close_at=timezone.now() - timedelta(minutes=1))
    runs, closed = _counter("casedesk_auto_close_runs_total"), _counter("casedesk_auto_closed_cases_total")

    celery_app.tasks["cases.tasks.cases_auto_close_task"].delay()  # eager here: runs inline
    celery_app.tasks["cases.tasks.cases_auto_close_task"].delay()  # nothing left to close
    values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))

    assert values[("casedesk_auto_close_runs_total", ())] - runs == 2
    assert values[("casedesk_auto_closed_cases_total", ())] - closed == 1


def test_request_metrics_are_labelled_by_view(client):
    cache.clear()
    before = _counter(
        "django_http_responses_total_by_status_view_method_total", method="GET", status="200", view="api-root"
    )

    assert client.get(reverse("api-root")).status_code == 200
    values = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))

    key = (
        "django_http_responses_total_by_status_view_method_total",
        (("method", "GET"), ("status", "200"), ("view", "api-root")),
    )
    assert values[key] - before == 1
    assert any(name == "django_http_requests_latency_seconds_by_view_method_bucket" for name, _ in values)
