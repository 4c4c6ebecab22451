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
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == {"ok": True, "error": None}


@pytest.mark.django_db
def test_health_reports_unreachable_broker_as_503(api_client, broken_broker):
    response = api_client.get(reverse("health"))

    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


@pytest.mark.django_db
def test_health_reports_unreachable_database_as_503(api_client, broken_database):
    response = api_client.get(reverse("health"))

    body = response.json()
    assert response.status_code == 503
    assert body["database"]["ok"] is False
    assert body["database"]["error"]
