"""The webhook events Casedesk sends: each type, when it is sent, and its payload.

The same functions build the payload of a real delivery (``case_event_payload``, ``notifications.webhooks.webhook_test_payload``)
and the examples of the catalogue in ``docs/webhooks.md`` (``manage.py webhooks_docs``), so the
catalogue cannot drift from what receivers get; a test fails when the committed document differs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypedDict

from cases.models import Case, CaseEvent, CaseStatus, Priority
from notifications.webhooks import TEST_EVENT, webhook_test_payload


class CasePayload(TypedDict):
    id: int
    number: str | None
    status: str
    priority: str


class CaseEventPayload(TypedDict):
    event: str
    event_id: int
    occurred_at: str
    case: CasePayload
    from_status: str
    to_status: str
    transition: str


# (field, JSON type, meaning): the catalogue's description of each payload, checked against the
# payloads the builders make (tests/notifications/test_webhook_catalogue.py).
CASE_EVENT_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("event", "string", "The event type (the table above)."),
    ("event_id", "integer", "The case event's id: the same event sent to several endpoints has one id."),
    ("occurred_at", "string", "When the event happened (ISO 8601, UTC)."),
    ("case.id", "integer", "The case's id in the API (`/api/v1/cases/{id}/`)."),
    ("case.number", "string", "The case number people quote (`CS-000123`)."),
    (
        "case.status",
        "string",
        "The case's status when the event was written (see the README's state machine).",
    ),
    ("case.priority", "string", "`P1`, `P2` or `P3`."),
    ("from_status", "string", "The status before a status change; empty for other events."),
    (
        "to_status",
        "string",
        "The status after a status change (`open` for `created`); empty for other events.",
    ),
    ("transition", "string", "The transition's name for a status change (`start`, `reopen`, …); else empty."),
)
WEBHOOK_TEST_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("event", "string", f"`{TEST_EVENT}`."),
    ("occurred_at", "string", "When the test was asked for (ISO 8601, UTC)."),
    ("webhook.id", "integer", "The endpoint's id (`/api/v1/webhooks/{id}/`)."),
)


def case_event_payload(*, case: Case, event: CaseEvent) -> CaseEventPayload:
    """What every endpoint subscribed to ``event``'s type receives (the outbox row's context)."""
    return {
        "event": event.type,
        "event_id": event.pk,
        "occurred_at": event.created_at.isoformat(),
        "case": {"id": case.pk, "number": case.number, "status": case.status, "priority": case.priority},
        "from_status": event.from_status,
        "to_status": event.to_status,
        "transition": event.transition,
    }


class Audience:
    """Which events of a type reach webhooks (events support marks internal never do)."""

    ALWAYS = "every one"
    PUBLIC = "public ones only"
    NEVER = "never: internal to support"


@dataclass(frozen=True)
class WebhookEventType:
    name: str
    sent_when: str
    audience: str
    # The example event: its transition, statuses, and the case's status after it.
    transition: str = ""
    from_status: str = ""
    to_status: str = ""
    case_status: str = CaseStatus.IN_PROGRESS

    @property
    def delivered(self) -> bool:
        return self.audience != Audience.NEVER


_T = CaseEvent.Type
CASE_EVENT_TYPES: tuple[WebhookEventType, ...] = (
    WebhookEventType(
        _T.CREATED,
        "A case is opened.",
        Audience.ALWAYS,
        to_status=CaseStatus.OPEN,
        case_status=CaseStatus.OPEN,
    ),
    WebhookEventType(
        _T.TRANSITION,
        "A case changes status by a transition (support's or the customer's), except reopening.",
        Audience.ALWAYS,
        transition="start",
        from_status=CaseStatus.OPEN,
        to_status=CaseStatus.IN_PROGRESS,
    ),
    WebhookEventType(
        _T.REOPENED,
        "A closed case is reopened.",
        Audience.ALWAYS,
        transition="reopen",
        from_status=CaseStatus.CLOSED,
        to_status=CaseStatus.IN_PROGRESS,
    ),
    WebhookEventType(
        _T.AUTO_CLOSED,
        "A case in Verify Resolution closes by itself after 9 days without an answer.",
        Audience.ALWAYS,
        transition="auto_close",
        from_status=CaseStatus.VERIFY_RESOLUTION,
        to_status=CaseStatus.CLOSED,
        case_status=CaseStatus.CLOSED,
    ),
    WebhookEventType(
        _T.AUTO_CLOSE_REMINDER,
        "Two days before a case in Verify Resolution closes by itself.",
        Audience.ALWAYS,
        case_status=CaseStatus.VERIFY_RESOLUTION,
    ),
    WebhookEventType(_T.COMMENTED, "A comment is added to a case.", Audience.PUBLIC),
    WebhookEventType(_T.ATTACHMENT_ADDED, "A file is attached to a case.", Audience.PUBLIC),
    WebhookEventType(_T.PRIORITY_CHANGED, "Support overrides a case's priority.", Audience.ALWAYS),
    WebhookEventType(_T.ESCALATION_REQUESTED, "A customer asks for an escalation.", Audience.ALWAYS),
    WebhookEventType(_T.ESCALATION_ACCEPTED, "A support manager accepts an escalation.", Audience.ALWAYS),
    WebhookEventType(_T.ESCALATION_DECLINED, "A support manager declines an escalation.", Audience.ALWAYS),
    # Written internal by their services (cases/services/staffing.py, sla/services.py).
    WebhookEventType(_T.ASSIGNED, "Support assigns a case.", Audience.NEVER),
    WebhookEventType(_T.SLA_WARNING, "An SLA target is about to be missed.", Audience.NEVER),
    WebhookEventType(_T.SLA_BREACHED, "An SLA target was missed.", Audience.NEVER),
    WebhookEventType(_T.SLA_RECOMPUTED, "SLA targets were recomputed.", Audience.NEVER),
    WebhookEventType(_T.SLA_RESTARTED, "A reopened case's next-update timer runs again.", Audience.NEVER),
)

EXAMPLE_AT = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
EXAMPLE_CASE_ID = 1042
EXAMPLE_EVENT_ID = 58213
EXAMPLE_WEBHOOK_ID = 7


def example_payload(event_type: WebhookEventType) -> dict[str, Any]:
    """The catalogue's example of ``event_type``, built by the function real deliveries use."""
    case = Case(
        pk=EXAMPLE_CASE_ID,
        number=f"CS-{EXAMPLE_CASE_ID:06d}",
        status=event_type.case_status,
        priority=Priority.P2,
    )
    event = CaseEvent(
        pk=EXAMPLE_EVENT_ID,
        case=case,
        type=event_type.name,
        transition=event_type.transition,
        from_status=event_type.from_status,
        to_status=event_type.to_status,
        created_at=EXAMPLE_AT,
    )
    return dict(case_event_payload(case=case, event=event))


def example_test_payload() -> dict[str, Any]:
    return dict(webhook_test_payload(webhook_id=EXAMPLE_WEBHOOK_ID, at=EXAMPLE_AT))
