from collections.abc import Iterator

import pytest
from django.core.cache import cache

from core.throttling import _redis_client


@pytest.fixture(autouse=True)
def _no_throttle_counters_left() -> Iterator[None]:
    """Throttle counters outlive a test's database transaction (they live in the cache or Redis)."""

    def clear() -> None:
        cache.clear()
        client = _redis_client()
        if client is not None:
            for key in client.scan_iter("throttle_*"):
                client.delete(key)

    clear()
    yield
    clear()
