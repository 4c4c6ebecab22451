"""Shared fixtures, and the rule for tests that need real servers.

Tests marked ``postgres`` need ``DATABASE_URL`` to point at PostgreSQL and tests marked ``redis``
need a ``redis://`` broker. Without them they are skipped with the reason shown in the summary;
with ``CASEDESK_REQUIRE_SERVICES=1`` (CI) a missing server fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from config.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("CASEDESK_REQUIRE_SERVICES") == "1"

# Fixtures for outbound HTTP tests (fake_dns), usable from every test module.
pytest_plugins = ["tests.outbound_peers"]


def _on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def _on_redis() -> bool:
    return str(settings.CELERY_BROKER_URL).startswith(("redis://", "rediss://"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "faults: stops and kills real servers (tests/faults); deselect with -m 'not faults'"
    )
    config.addinivalue_line(
        "markers",
        "client: generates the Python client from a live server's schema and drives it (tests/clients)",
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    if REQUIRE_SERVICES:
        missing = [name for name, ok in (("PostgreSQL", _on_postgres()), ("Redis", _on_redis())) if not ok]
        if missing:
            raise pytest.UsageError(
                f"CASEDESK_REQUIRE_SERVICES=1 but {', '.join(missing)} is not configured "
                "(set DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...)."
            )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("postgres") and not _on_postgres():
        pytest.skip("needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)")
    if item.get_closest_marker("redis") and not _on_redis():
        pytest.skip("needs Redis: set CELERY_BROKER_URL=redis://... (CI does)")
    if item.get_closest_marker("browser") and not os.path.exists("/usr/bin/chromium"):
        if REQUIRE_SERVICES:
            pytest.fail(
                "CASEDESK_REQUIRE_SERVICES=1 but /usr/bin/chromium is missing (apt-get install chromium)"
            )
        pytest.skip("needs Chromium at /usr/bin/chromium (Debian: apt-get install chromium)")


@pytest.fixture(autouse=True)
def _test_settings(settings: pytest.FixtureRequest) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.SECURE_SSL_REDIRECT = False  # type: ignore[attr-defined]  # the test client speaks plain HTTP
    settings.PRECOMPILED_QUERIES_CHECK = True  # type: ignore[attr-defined]  # every cached query compared
    # Production serves hashed files after collectstatic; tests serve them straight from the apps.
    settings.STORAGES = {  # type: ignore[attr-defined]
        **settings.STORAGES,  # type: ignore[attr-defined]
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _eager_celery(request: pytest.FixtureRequest) -> Iterator[None]:
    """Tasks run inline in unit tests; tests marked ``real_worker`` send them through the real broker."""
    if request.node.get_closest_marker("real_worker"):
        yield
        return
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    try:
        yield
    finally:
        celery_app.conf.update(task_always_eager=False, task_eager_propagates=False)


@pytest.fixture(autouse=True)
def _fresh_calendar_cache() -> Iterator[None]:
    """Resolved calendars are cached per process by id; rolled-back tests reuse ids with other rows."""
    from sla.selectors import _resolved_calendar

    _resolved_calendar.cache_clear()
    yield
    _resolved_calendar.cache_clear()


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery publishes to a loopback port where nothing listens: a real refused connection, as when
    the broker is stopped. Tasks are sent, not run inline (use with the ``real_worker`` marker)."""
    saved = celery_app.conf.broker_url, celery_app.conf.broker_write_url

    def fresh_pools() -> None:  # the producer pools are bound to the URL they were made for
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_app.conf.broker_url = celery_app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    fresh_pools()
    try:
        yield
    finally:
        celery_app.conf.broker_url, celery_app.conf.broker_write_url = saved
        fresh_pools()


@pytest.fixture
def api_client() -> Iterator[APIClient]:
    yield APIClient()
