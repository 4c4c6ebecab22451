"""Rate limits: one atomic counter per client and window (core.throttling)."""

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
