"""The event catalogue (docs/webhooks.md) is written from the code and matches what receivers get."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cases.management.commands import webhooks_docs
from cases.models import Case, CaseEvent
from cases.services import case_assign, case_priority_override, case_transition, comment_create
from cases.webhook_docs import DOCS_PATH, VERIFY_SNIPPET, webhook_docs_render
from cases.webhook_events import (
    CASE_EVENT_FIELDS,
    CASE_EVENT_TYPES,
    TEST_EVENT,
    WEBHOOK_TEST_FIELDS,
    example_payload,
    example_test_payload,
)
from cases.webhooks import webhook_test_send
from notifications.delivery import notification_deliver
from notifications.models import Notification
from sla import services as sla_services
from tests.factories import AnalystFactory, CaseFactory, SupportManagerFactory, WebhookEndpointFactory
from tests.outbound_peers import RecordingServer, answer

pytestmark = pytest.mark.django_db
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _paths(payload: dict[str, Any], prefix: str = "") -> list[str]:
    """Every leaf of a payload as a dotted path (``case.id``)."""
    paths = []
    for key, value in payload.items():
        if isinstance(value, dict):
            paths += _paths(value, f"{prefix}{key}.")
        else:
            paths.append(f"{prefix}{key}")
    return sorted(paths)


def test_every_case_event_type_is_in_the_catalogue_once():
    assert sorted(event.name for event in CASE_EVENT_TYPES) == sorted(CaseEvent.Type.values)


def test_the_committed_document_is_what_the_code_writes():
    assert DOCS_PATH.read_text(encoding="utf-8") == webhook_docs_render(), (
        "docs/webhooks.md is out of date: run `python manage.py webhooks_docs`"
    )
    call_command("webhooks_docs", "--check")


def test_the_check_fails_on_a_stale_document(tmp_path, monkeypatch):
    stale = tmp_path / "webhooks.md"
    stale.write_text(webhook_docs_render().replace("webhook.test", "webhook.tested"), encoding="utf-8")
    monkeypatch.setattr(webhooks_docs, "DOCS_PATH", stale)

    with pytest.raises(CommandError, match="out of date"):
        call_command("webhooks_docs", "--check")
    call_command("webhooks_docs")
    assert stale.read_text(encoding="utf-8") == webhook_docs_render()


def test_every_example_has_exactly_the_documented_fields():
    documented = sorted(name for name, _, _ in CASE_EVENT_FIELDS)
    for event in CASE_EVENT_TYPES:
        assert _paths(example_payload(event)) == documented, event.name
    assert _paths(example_test_payload()) == sorted(name for name, _, _ in WEBHOOK_TEST_FIELDS)
    document = webhook_docs_render()
    delivered = [event.name for event in CASE_EVENT_TYPES if event.delivered]
    assert all(f"### `{name}`" in document for name in [*delivered, TEST_EVENT])


def test_real_events_have_the_documented_shape_and_internal_ones_are_not_sent(
    django_capture_on_commit_callbacks,
):
    """The services write what the catalogue says: the documented fields, and no delivery for
    the types it lists as internal."""
    case = CaseFactory(status=Case.Status.OPEN)
    endpoint = WebhookEndpointFactory(company=case.company)
    analyst = AnalystFactory()
    with django_capture_on_commit_callbacks(execute=False):
        case_transition(case=case, actor=analyst, transition="start", now=T)
        comment_create(case=case, author=analyst, body="Looking into it.", now=T)
        comment_create(case=case, author=analyst, body="Internal note.", is_internal=True, now=T)
        case_assign(case=case, actor=SupportManagerFactory(), assignee=AnalystFactory(), now=T)
        case_priority_override(case=case, actor=analyst, priority="P1", reason="Payroll is down.", now=T)
        sla_services._event(case, CaseEvent.Type.SLA_WARNING, T, "due soon", {"metric": "first_response"})

    rows = list(Notification.objects.filter(webhook=endpoint).order_by("pk"))
    assert [row.kind for row in rows] == ["transition", "commented", "priority_changed"]
    documented = sorted(name for name, _, _ in CASE_EVENT_FIELDS)
    assert all(_paths(row.context) == documented for row in rows)
    sent_types = {event.name for event in CASE_EVENT_TYPES if event.delivered}
    assert {"assigned", "sla_warning"}.isdisjoint(sent_types) and {row.kind for row in rows} <= sent_types


def test_the_documented_snippet_verifies_a_real_delivery(
    settings, time_machine, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_HTTP_HOSTS = ["127.0.0.1"]
    settings.WEBHOOK_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.1/32"]
    time_machine.move_to(T, tick=False)
    with RecordingServer(answer(204)) as receiver:
        endpoint = WebhookEndpointFactory(url=f"{receiver.url}/hook")
        with django_capture_on_commit_callbacks(execute=False):
            row = webhook_test_send(actor=SupportManagerFactory(), endpoint=endpoint)
        assert notification_deliver(notification_id=row.pk) is True
    [request] = receiver.requests
    snippet: dict[str, Any] = {}
    exec(compile(VERIFY_SNIPPET, "docs/webhooks.md", "exec"), snippet)

    refused_with_the_example_secret = snippet["receive"](request.body, request.headers)
    snippet["SECRET"] = endpoint.secret
    event = snippet["receive"](request.body, request.headers)
    tampered = snippet["receive"](request.body.replace(b"webhook.test", b"webhook.tost"), request.headers)

    assert refused_with_the_example_secret is None and tampered is None
    assert event == {
        "event": "webhook.test",
        "occurred_at": "2026-12-01T09:00:00+00:00",
        "webhook": {"id": endpoint.pk},
    }
