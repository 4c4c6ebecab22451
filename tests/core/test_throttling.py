"""Rate limits: one atomic counter per client and window (core.throttling)."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from core.throttling import _redis_client, window_count_increment

pytestmark = pytest.mark.django_db
WINDOW_START = datetime(2026, 6, 1, 9, 0, 0, tzinfo=UTC)  # on a minute boundary


@pytest.fixture(autouse=True)
def _no_counters_left():
    cache.clear()
    client = _redis_client()
    if client is not None:
        for key in client.scan_iter("throttle_*"):
            client.delete(key)


def test_a_window_allows_the_rate_then_refuses_until_it_ends(api_client, settings):
    settings.THROTTLE_RATES = {"anon": "2/min", "user": "2/min"}
    with time_machine.travel(WINDOW_START.replace(second=20), tick=False) as clock:
        statuses = [api_client.get(reverse("api-root")).status_code for _ in range(3)]
        refused = api_client.get(reverse("api-root"))
        clock.move_to(WINDOW_START.replace(minute=1))  # the next window
        again = api_client.get(reverse("api-root")).status_code

    assert statuses == [200, 200, 429]
    assert refused.json()["code"] == "throttled"
    assert refused["Retry-After"] == "40"  # what is left of the window
    assert again == 200


def test_users_are_counted_apart_from_each_other(api_client, settings):
    from tests.factories import UserFactory

    settings.THROTTLE_RATES = {"anon": "100/min", "user": "1/min"}
    first, second = UserFactory(), UserFactory()
    with time_machine.travel(WINDOW_START, tick=False):
        api_client.force_authenticate(first)
        assert api_client.get(reverse("me")).status_code == 200
        assert api_client.get(reverse("me")).status_code == 429
        api_client.force_authenticate(second)
        assert api_client.get(reverse("me")).status_code == 200


@pytest.mark.redis
def test_concurrent_requests_of_one_client_are_all_counted():
    """The counter lives in Redis and INCR is atomic: no increment is lost, whatever the overlap
    (DRF's read-modify-write of a list lost them)."""
    if _redis_client() is None:
        pytest.skip("CACHE_URL is not a Redis URL: the counters live in the process's cache")
    key = "throttle_test_concurrency:1"
    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda _: window_count_increment(key, ttl=60), range(200)))
    assert sorted(counts) == list(range(1, 201))
    assert _redis_client().ttl(key) > 0


@pytest.fixture
def redis_down(settings):
    """The counters' Redis on a loopback port where nothing listens: a real refused connection."""
    from core import throttling

    settings.CACHE_URL = "redis://127.0.0.1:1/2"
    _redis_client.cache_clear()
    throttling._redis_retry_at = 0.0
    throttling._fallback.clear()
    yield
    _redis_client.cache_clear()
    throttling._redis_retry_at = 0.0


def _errors_counted() -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("casedesk_throttle_backend_errors_total") or 0.0


def test_with_redis_down_requests_are_served_and_still_limited_per_process(api_client, settings, redis_down):
    settings.THROTTLE_RATES = {"anon": "3/min", "user": "3/min"}
    settings.THROTTLE_FALLBACK_SECONDS = 60
    errors_before = _errors_counted()

    with time_machine.travel(WINDOW_START, tick=False):
        started = time.monotonic()
        statuses = [api_client.get(reverse("api-root")).status_code for _ in range(4)]
        elapsed = time.monotonic() - started

    assert statuses == [200, 200, 200, 429]
    assert _errors_counted() == errors_before + 1  # tried once, then counted in process for the period
    assert elapsed < 2.0


def test_redis_is_tried_again_after_the_fallback_period(api_client, settings, redis_down):
    settings.THROTTLE_RATES = {"anon": "100/min", "user": "100/min"}
    settings.THROTTLE_FALLBACK_SECONDS = 0  # every request tries Redis again
    errors_before = _errors_counted()

    statuses = [api_client.get(reverse("api-root")).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert _errors_counted() == errors_before + 3 * 2  # each anonymous request updates two counters


# RateLimit header fields (draft-ietf-httpapi-ratelimit-headers-06), from the counter just incremented.


def test_throttled_answers_tell_the_budget_and_a_429_says_none_is_left(api_client, settings):
    from tests.factories import UserFactory

    settings.THROTTLE_RATES = {"anon": "100/min", "user": "3/min"}
    api_client.force_authenticate(UserFactory())
    with time_machine.travel(WINDOW_START.replace(second=15), tick=False):
        answers = [api_client.get(reverse("me")) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {(a["RateLimit-Limit"], a["RateLimit-Policy"], a["RateLimit-Reset"]) for a in answers} == {
        ("3", "3;w=60", "45")
    }
    assert answers[-1]["Retry-After"] == "45"


def test_an_anonymous_caller_is_told_the_tightest_of_its_limits(api_client, settings):
    settings.THROTTLE_RATES = {"anon": "5/min", "user": "1000/min"}
    with time_machine.travel(WINDOW_START, tick=False):
        response = api_client.get(reverse("api-root"))

    assert (response["RateLimit-Limit"], response["RateLimit-Remaining"]) == ("5", "4")


def test_an_unthrottled_endpoint_sends_no_rate_limit_fields(client):
    response = client.get("/healthz")

    assert "RateLimit-Limit" not in response
