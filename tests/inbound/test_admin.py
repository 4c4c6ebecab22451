"""The inbound log in the admin: staff granted the view permission read it, nobody edits it, and the
list costs no query per row."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from inbound.models import InboundAutoReply, InboundEmail
from tests.factories import AnalystFactory, CaseFactory

pytestmark = pytest.mark.django_db
RECEIVED = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def _analyst_who_may_view(*codenames):
    analyst = AnalystFactory()
    analyst.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="inbound", codename__in=codenames)
    )
    return analyst


def test_staff_with_the_view_permission_read_the_log_without_a_query_per_row(
    client, django_assert_max_num_queries
):
    InboundEmail.objects.bulk_create(
        InboundEmail(
            sender=f"sender{i}@example.com",
            outcome=InboundEmail.Outcome.COMMENTED,
            case=CaseFactory(),
            received_at=RECEIVED + timedelta(minutes=i),
        )
        for i in range(15)
    )
    client.force_login(_analyst_who_may_view("view_inboundemail"))
    url = reverse("admin:inbound_inboundemail_changelist")
    client.get(url)  # the session and the content types, cached

    with django_assert_max_num_queries(10):
        response = client.get(url)

    assert response.status_code == 200
    assert all(f"sender{i}@example.com" in response.text for i in range(15))


def test_nobody_adds_or_changes_log_rows(admin_client):
    logged = InboundEmail.objects.create(sender="a@example.com", outcome="refused", received_at=RECEIVED)
    answered = InboundAutoReply.objects.create(
        address="a@example.com", last_sent_at=RECEIVED, last_reason="inbound_no_access"
    )

    assert admin_client.get(reverse("admin:inbound_inboundemail_add")).status_code == 403
    assert admin_client.get(reverse("admin:inbound_inboundautoreply_add")).status_code == 403
    change = admin_client.get(reverse("admin:inbound_inboundemail_change", args=[logged.pk]))
    assert change.status_code == 200 and "Save" not in change.text  # read-only: shown, not editable
    listed = admin_client.get(reverse("admin:inbound_inboundautoreply_changelist"))
    assert answered.address in listed.text


def test_staff_without_the_permission_do_not_see_the_log(client):
    client.force_login(_analyst_who_may_view())

    assert client.get(reverse("admin:inbound_inboundemail_changelist")).status_code == 403
