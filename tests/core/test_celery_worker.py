"""A real Celery worker consumes the configured broker (Redis in CI, the filesystem transport locally)."""

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app as celery_app
from core.tasks import ping


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_round_trips_a_task():
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        result = ping.delay("round trip")
        assert result.get(timeout=30) == "pong: round trip"
