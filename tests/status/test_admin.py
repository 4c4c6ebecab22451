from datetime import UTC, datetime

import pytest
from django.urls import reverse

from accounts.models import User
from status.models import Incident, MaintenanceWindow
from tests.factories import ProductFactory, UserFactory
from tests.status.factories import (
    IncidentFactory,
    IncidentUpdateFactory,
    MaintenanceWindowFactory,
    StatusSubscriptionFactory,
)

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


@pytest.fixture
def admin_user_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    client.user = user
    return client


@pytest.mark.parametrize(
    ("model", "make"),
    [
        ("maintenancewindow", lambda: MaintenanceWindowFactory.create_batch(5)),
        ("incident", lambda: IncidentFactory.create_batch(5)),
        ("statussubscription", lambda: StatusSubscriptionFactory.create_batch(5)),
    ],
)
def test_changelists_do_not_query_per_row(admin_user_client, django_assert_max_num_queries, model, make):
    make()
    with django_assert_max_num_queries(12):
        response = admin_user_client.get(reverse(f"admin:status_{model}_changelist"))
    assert response.status_code == 200
    make()
    with django_assert_max_num_queries(12):
        assert admin_user_client.get(reverse(f"admin:status_{model}_changelist")).status_code == 200


def test_adding_an_incident_goes_through_the_service(admin_user_client, django_capture_on_commit_callbacks):
    product = ProductFactory()
    StatusSubscriptionFactory(product=product)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_user_client.post(
            reverse("admin:status_incident_add"),
            {
                "product": product.pk,
                "title": "Login failures",
                "impact": "outage",
                "status": "investigating",
                "message": "Users cannot log in.",
            },
        )

    assert response.status_code == 302, response.content
    incident = Incident.objects.get()
    update = incident.updates.get()
    assert (update.message, update.author) == ("Users cannot log in.", admin_user_client.user)
    assert len(callbacks) == 1


def _inline_post(incident, **new_row):
    existing = list(incident.updates.all())
    data = {
        "updates-TOTAL_FORMS": str(len(existing) + 1),
        "updates-INITIAL_FORMS": str(len(existing)),
        "updates-MIN_NUM_FORMS": "0",
        "updates-MAX_NUM_FORMS": "1000",
    }
    for index, update in enumerate(existing):
        data[f"updates-{index}-id"] = str(update.pk)
        data[f"updates-{index}-incident"] = str(incident.pk)
    last = len(existing)
    data[f"updates-{last}-incident"] = str(incident.pk)
    for key, value in new_row.items():
        data[f"updates-{last}-{key}"] = value
    return data


def test_an_inline_update_resolves_the_incident_through_the_service(admin_user_client):
    incident = IncidentFactory()
    IncidentUpdateFactory(incident=incident)

    response = admin_user_client.post(
        reverse("admin:status_incident_change", args=[incident.pk]),
        _inline_post(incident, status="resolved", message="Fixed."),
    )

    assert response.status_code == 302, response.content
    incident.refresh_from_db()
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert incident.updates.first().author == admin_user_client.user


def test_adding_a_window_goes_through_the_service(admin_user_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    product = ProductFactory()

    response = admin_user_client.post(
        reverse("admin:status_maintenancewindow_add"),
        {
            "product": product.pk,
            "kind": "weekly",
            "title": "Weekly",
            "description": "",
            "weekday": "4",
            "local_start_time": "19:30",
            "duration": "04:00:00",
            "time_zone": "America/Los_Angeles",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content
    window = MaintenanceWindow.objects.get()
    assert (window.created_at, window.weekly_rule.time_zone) == (NOW, "America/Los_Angeles")


def test_a_bad_time_zone_is_a_form_error(admin_user_client):
    response = admin_user_client.post(
        reverse("admin:status_maintenancewindow_add"),
        {
            "product": ProductFactory().pk,
            "kind": "weekly",
            "title": "Weekly",
            "weekday": "4",
            "local_start_time": "19:30",
            "duration": "04:00:00",
            "time_zone": "Nowhere/Land",
        },
    )

    assert response.status_code == 200
    assert "Unknown time zone" in response.content.decode()
    assert not MaintenanceWindow.objects.exists()


def test_opt_out_action_uses_the_service(admin_user_client):
    subscription = StatusSubscriptionFactory()

    admin_user_client.post(
        reverse("admin:status_statussubscription_changelist"),
        {"action": "opt_out_selected", "_selected_action": [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert subscription.opted_in is False
    assert isinstance(subscription.user, User)


def test_add_and_change_pages_render(admin_user_client):
    incident = IncidentFactory()
    IncidentUpdateFactory(incident=incident)
    window = MaintenanceWindowFactory()

    for url in [
        reverse("admin:status_incident_add"),
        reverse("admin:status_incident_change", args=[incident.pk]),
        reverse("admin:status_maintenancewindow_add"),
        reverse("admin:status_maintenancewindow_change", args=[window.pk]),
    ]:
        assert admin_user_client.get(url).status_code == 200, url


def test_changing_a_window_goes_through_the_service(admin_user_client):
    window = MaintenanceWindowFactory()

    response = admin_user_client.post(
        reverse("admin:status_maintenancewindow_change", args=[window.pk]),
        {
            "product": window.product.pk,
            "kind": "weekly",
            "title": "Renamed",
            "description": "",
            "weekday": "4",
            "local_start_time": "20:00",
            "duration": "04:00:00",
            "time_zone": "America/Los_Angeles",
            "is_active": "on",
        },
    )

    assert response.status_code == 302, response.content
    window.refresh_from_db()
    assert (window.title, window.local_start_time.hour) == ("Renamed", 20)
