from collections.abc import Iterator

import pytest
from django.db import connections
from django.urls import reverse


@pytest.fixture
def broken_broker(settings) -> None:
    """A broker URL on a loopback port where nothing listens (a real refused connection)."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"


@pytest.fixture
def broken_database(settings) -> Iterator[None]:
    """A database alias whose server cannot be reached, checked by the health endpoint instead of default."""
    broken = dict(connections.settings["default"])
    if broken["ENGINE"] == "django.db.backends.sqlite3":
        broken["NAME"] = "/nonexistent-dir/casedesk.sqlite3"
    else:
        broken.update(HOST="127.0.0.1", PORT="1")
    connections.settings["unreachable"] = broken
    settings.HEALTH_CHECK_DATABASE = "unreachable"
    try:
        yield
    finally:
        connections["unreachable"].close()
        del connections.settings["unreachable"]
        delattr(connections._connections, "unreachable")  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_health_is_ok_when_database_and_broker_answer(api_client):
    response = api_client.get(reverse("health"))

    assert response.status_code == 200, response.json()
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_an_unreachable_broker_is_degraded_not_down(api_client, broken_broker):
    response = api_client.get(reverse("health"))

    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unavailable"}


@pytest.mark.django_db
def test_an_unreachable_database_is_503_in_words_without_the_drivers_text(api_client, broken_database):
    response = api_client.get(reverse("health"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "unavailable", "broker": "ok"}
    assert response["Retry-After"] == "5"


@pytest.mark.django_db
def test_staff_asking_for_detail_see_each_scheduled_jobs_last_runs(api_client):
    from datetime import timedelta

    from django.utils import timezone

    from config.beat import DEFAULT_SCHEDULE
    from core.jobs import job_finished, job_started
    from tests.factories import AnalystFactory, UserFactory

    now = timezone.now()
    job_started("sla.tasks.sla_timers_sweep_task", now=now)
    job_finished("sla.tasks.sla_timers_sweep_task", now=now)
    job_started("cases.tasks.cases_auto_close_task", now=now - timedelta(seconds=3 * 300 + 1))

    anonymous = api_client.get(reverse("health"), {"detail": "1"})
    api_client.force_authenticate(UserFactory())
    customer = api_client.get(reverse("health"), {"detail": "1"})
    api_client.force_authenticate(AnalystFactory())
    staff = api_client.get(reverse("health"), {"detail": "1"})

    assert "jobs" not in anonymous.json() and "jobs" not in customer.json()
    jobs = staff.json()["jobs"]
    assert set(jobs) == set(DEFAULT_SCHEDULE)
    assert jobs["sla-sweep"]["stale"] is False and jobs["sla-sweep"]["last_succeeded_at"]
    assert jobs["cases-auto-close"]["stale"] is True  # last started more than 3 intervals ago
    assert jobs["notifications-deliver-due"] == {
        "interval_seconds": 60,
        "last_started_at": None,
        "last_succeeded_at": None,
        "last_failed_at": None,
        "stale": True,
    }


@pytest.mark.django_db
def test_job_runs_are_exported_as_gauges(client):
    from core.jobs import job_started
    from tests.core.test_metrics import samples, scrape

    job_started("sla.tasks.sla_timers_sweep_task")

    scraped = samples(scrape(client, REMOTE_ADDR="127.0.0.1"))
    assert scraped[("casedesk_job_stale", (("job", "sla-sweep"),))] == 0.0
    assert scraped[("casedesk_job_stale", (("job", "cases-auto-close"),))] == 1.0
    assert scraped[("casedesk_job_last_started_timestamp_seconds", (("job", "sla-sweep"),))] > 0
