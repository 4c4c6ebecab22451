"""Fixtures for the admin workspace tests: staff clients, a calendar, SLA timers on factory cases."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sla.models import Calendar, Metric, SlaTimer
from tests.factories import AnalystFactory, SupportManagerFactory


@pytest.fixture
def analyst(db):
    return AnalystFactory(first_name="Ann", last_name="Analyst")


@pytest.fixture
def analyst_client(client, analyst):
    client.force_login(analyst)
    return client


@pytest.fixture
def manager(db):
    return SupportManagerFactory(first_name="Max", last_name="Manager")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def around_the_clock(db):
    return Calendar.objects.create(name="24×7 test", kind=Calendar.Kind.AROUND_THE_CLOCK)


def add_timer(
    case,
    calendar,
    *,
    due_in=timedelta(hours=2),
    state=SlaTimer.State.RUNNING,
    warnings_sent=0,
    metric=Metric.FIRST_RESPONSE,
    remaining=None,
):
    now = timezone.now()
    return SlaTimer.objects.create(
        case=case,
        metric=metric,
        state=state,
        target_minutes=240,
        calendar=calendar,
        started_at=now - timedelta(hours=1),
        due_at=None if due_in is None else now + due_in,
        warnings_sent=warnings_sent,
        remaining_seconds=remaining,
        breached_at=now if state == SlaTimer.State.BREACHED else None,
        updated_at=now,
    )


@pytest.fixture
def calendar_cache_held(monkeypatch):
    """Resolved calendars are cached in one-minute buckets of the monotonic clock: a query count
    measured across a bucket boundary (a slow machine) would count the calendar's re-resolution.
    One bucket for the whole test (the cache itself is emptied around every test)."""
    monkeypatch.setattr("sla.selectors.CALENDAR_CACHE_SECONDS", 10**9)
