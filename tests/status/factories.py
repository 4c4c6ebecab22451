from datetime import UTC, datetime, time, timedelta

import factory
from factory.django import DjangoModelFactory

from status.models import Incident, IncidentUpdate, MaintenanceWindow, StatusSubscription
from tests.factories import ProductFactory, UserFactory


class MaintenanceWindowFactory(DjangoModelFactory[MaintenanceWindow]):
    """Weekly by default: Fridays 19:30 America/Los_Angeles for 4 hours (the Financials window)."""

    class Meta:
        model = MaintenanceWindow

    product = factory.SubFactory(ProductFactory)
    kind = MaintenanceWindow.Kind.WEEKLY
    title = factory.Sequence(lambda n: f"Maintenance {n}")
    weekday = MaintenanceWindow.Weekday.FRIDAY
    local_start_time = time(19, 30)
    duration = timedelta(hours=4)
    time_zone = "America/Los_Angeles"
    created_at = datetime(2026, 1, 1, tzinfo=UTC)


class OneOffWindowFactory(MaintenanceWindowFactory):
    kind = MaintenanceWindow.Kind.ONE_OFF
    weekday = None
    local_start_time = None
    duration = None
    time_zone = ""
    starts_at = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
    ends_at = datetime(2026, 4, 1, 14, 0, tzinfo=UTC)


class IncidentFactory(DjangoModelFactory[Incident]):
    class Meta:
        model = Incident

    product = factory.SubFactory(ProductFactory)
    title = factory.Sequence(lambda n: f"Incident {n}")
    status = Incident.Status.INVESTIGATING
    impact = Incident.Impact.DEGRADED
    started_at = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class IncidentUpdateFactory(DjangoModelFactory[IncidentUpdate]):
    class Meta:
        model = IncidentUpdate

    incident = factory.SubFactory(IncidentFactory)
    status = factory.LazyAttribute(lambda o: o.incident.status)
    message = factory.Sequence(lambda n: f"Update {n}")
    created_at = factory.LazyAttribute(lambda o: o.incident.started_at)


class StatusSubscriptionFactory(DjangoModelFactory[StatusSubscription]):
    class Meta:
        model = StatusSubscription

    user = factory.SubFactory(UserFactory)
    product = factory.SubFactory(ProductFactory)
    opted_in = True
    created_at = datetime(2026, 1, 1, tzinfo=UTC)
    updated_at = datetime(2026, 1, 1, tzinfo=UTC)
