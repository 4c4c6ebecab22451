import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail

from core.errors import Conflict, ValidationFailed
from notifications.models import Notification
from status.models import Incident, IncidentUpdate, MaintenanceWindow, StatusSubscription
from status.services import (
    incident_create,
    incident_update,
    maintenance_window_create,
    maintenance_window_update,
    status_subscription_set,
    status_subscription_unset,
)
from tests.factories import AnalystFactory, ProductFactory, UserFactory
from tests.status.factories import IncidentFactory, MaintenanceWindowFactory, StatusSubscriptionFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)
WEEKLY = {
    "kind": MaintenanceWindow.Kind.WEEKLY,
    "weekday": 4,
    "local_start_time": time(19, 30),
    "duration": timedelta(hours=4),
    "time_zone": "America/Los_Angeles",
}


def test_incident_create_writes_the_first_update_and_notifies_subscribers_after_commit(
    django_capture_on_commit_callbacks, caplog
):
    product = ProductFactory()
    subscriber = StatusSubscriptionFactory(product=product).user
    StatusSubscriptionFactory(product=product, opted_in=False)
    StatusSubscriptionFactory(product=product, user=UserFactory(email=""))
    StatusSubscriptionFactory()  # another product
    analyst = AnalystFactory()

    with (
        caplog.at_level(logging.INFO, logger="status.services"),
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        incident = incident_create(
            product=product,
            title="Slow reports",
            message="We are looking into it.",
            impact=Incident.Impact.DEGRADED,
            actor=analyst,
            now=NOW,
        )

    assert (incident.status, incident.started_at, incident.resolved_at) == ("investigating", NOW, None)
    update = incident.updates.get()
    assert (update.status, update.message, update.author, update.created_at) == (
        "investigating",
        "We are looking into it.",
        analyst,
        NOW,
    )
    # One outbox row per opted-in subscriber with an address, delivered after commit.
    notification = Notification.objects.get()
    assert (notification.kind, notification.recipient, notification.status) == (
        "status_incident",
        subscriber,
        "sent",
    )
    assert notification.idempotency_key.startswith(f"status:incident_opened:{update.pk}:")
    assert [m.to for m in mail.outbox] == [[subscriber.email]]
    assert "Slow reports" in mail.outbox[0].subject
    assert len(callbacks) == 1  # the delivery task
    assert "1 subscriber(s)" in caplog.text


def test_incident_resolve_sets_resolved_at_and_records_the_update(django_capture_on_commit_callbacks):
    incident = IncidentFactory(impact=Incident.Impact.OUTAGE)
    StatusSubscriptionFactory(product=incident.product)
    later = NOW + timedelta(hours=1)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident_update(
            incident=incident, status="monitoring", message="Fix deployed.", impact="degraded", now=NOW
        )
        incident_update(incident=incident, status="resolved", message="All good.", now=later)

    incident.refresh_from_db()
    assert (incident.status, incident.impact, incident.resolved_at) == ("resolved", "degraded", later)
    assert list(incident.updates.values_list("status", flat=True)) == ["resolved", "monitoring"]
    events = [n.idempotency_key.split(":")[1] for n in Notification.objects.order_by("pk")]
    assert events == ["incident_updated", "incident_resolved"]
    assert len(callbacks) == 2


def test_a_resolved_incident_takes_no_more_updates():
    incident = IncidentFactory(status="resolved", resolved_at=NOW)

    with pytest.raises(Conflict) as error:
        incident_update(incident=incident, status="investigating", message="Back again?", now=NOW)

    assert error.value.code == "incident_resolved"
    assert not IncidentUpdate.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"status": "monitoring", "message": "   "}, "message_required"),
        ({"status": "unknown", "message": "x"}, "invalid_incident"),
        ({"status": "monitoring", "message": "x", "impact": "meh"}, "invalid_incident"),
    ],
)
def test_incident_update_refuses_bad_input(kwargs, code):
    with pytest.raises(ValidationFailed) as error:
        incident_update(incident=IncidentFactory(), now=NOW, **kwargs)

    assert error.value.code == code


def test_an_incident_cannot_start_resolved():
    with pytest.raises(ValidationFailed):
        incident_create(product=ProductFactory(), title="x", message="x", status="resolved", now=NOW)


def test_incident_updates_are_immutable():
    update = incident_create(product=ProductFactory(), title="x", message="x", now=NOW).updates.get()

    with pytest.raises(ValueError, match="immutable"):
        update.save()


def test_maintenance_window_create_weekly_and_one_off(django_capture_on_commit_callbacks):
    product = ProductFactory()
    StatusSubscriptionFactory(product=product)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        weekly = maintenance_window_create(product=product, title="Weekly", now=NOW, **WEEKLY)
        one_off = maintenance_window_create(
            product=product,
            title="Upgrade",
            kind=MaintenanceWindow.Kind.ONE_OFF,
            starts_at=NOW,
            ends_at=NOW + timedelta(hours=2),
            now=NOW,
        )

    assert weekly.created_at == NOW
    assert weekly.weekly_rule.time_zone == "America/Los_Angeles"
    assert one_off.schedule_text == "2026-03-14 03:00 – 2026-03-14 05:00 UTC"
    assert list(Notification.objects.values_list("kind", flat=True)) == ["status_maintenance"] * 2
    assert len(callbacks) == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Pacific/Nowhere"}, "time_zone"),
        ({"time_zone": ""}, "time_zone"),
        ({"duration": timedelta(days=8)}, "duration"),
        ({"weekday": None}, "weekday"),
        ({"starts_at": NOW}, "starts_at"),
        ({"active_from": date(2026, 2, 1), "active_until": date(2026, 1, 1)}, "active_until"),
        ({"kind": MaintenanceWindow.Kind.ONE_OFF}, "starts_at"),
    ],
)
def test_maintenance_window_create_refuses_inconsistent_schedules(changes, field):
    with pytest.raises(ValidationFailed) as error:
        maintenance_window_create(product=ProductFactory(), title="x", now=NOW, **{**WEEKLY, **changes})

    assert error.value.code == "invalid_maintenance_window"
    assert field in error.value.extra["errors"]
    assert not MaintenanceWindow.objects.exists()


def test_maintenance_window_update_saves_only_changes_and_validates():
    window = MaintenanceWindowFactory()

    assert maintenance_window_update(window=window, changes={"title": window.title}).title == window.title
    updated = maintenance_window_update(window=window, changes={"local_start_time": time(20)})
    assert updated.local_start_time == time(20)
    with pytest.raises(ValidationFailed):
        maintenance_window_update(window=window, changes={"time_zone": "Nope/Nope"})
    with pytest.raises(ValidationFailed):
        maintenance_window_update(window=window, changes={"product": ProductFactory()})


def test_subscriptions_set_and_unset_are_idempotent():
    user, product = UserFactory(), ProductFactory()

    first = status_subscription_set(user=user, product=product, now=NOW)
    again = status_subscription_set(user=user, product=product, now=NOW + timedelta(days=1))
    assert (first.pk, again.opted_in, again.updated_at) == (again.pk, True, NOW)

    out = status_subscription_unset(user=user, product=product, now=NOW + timedelta(days=2))
    assert (out.opted_in, out.updated_at) == (False, NOW + timedelta(days=2))
    assert status_subscription_unset(user=user, product=product).updated_at == NOW + timedelta(days=2)
    assert status_subscription_unset(user=UserFactory(), product=product) is None

    back = status_subscription_set(user=user, product=product, now=NOW + timedelta(days=3))
    assert (back.opted_in, StatusSubscription.objects.count()) == (True, 1)
