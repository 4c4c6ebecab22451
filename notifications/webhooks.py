"""Webhooks: the endpoints a company registers, how each delivery is signed and sent, and the
services behind the management API (register, update, rotate the secret, delete, send a test).

Signing follows the Standard Webhooks specification through its reference library
(``standardwebhooks``), so a receiver verifies with any of the specification's libraries:
``webhook-id`` (the outbox row's id, the same on every attempt: receivers deduplicate by it),
``webhook-timestamp`` (the attempt's time, in seconds) and ``webhook-signature`` (``v1,<base64>``
per valid secret, space-separated). After a rotation the previous secret signs beside the new one
until ``WEBHOOK_SECRET_ROTATION_GRACE`` has passed. Until ``WEBHOOK_LEGACY_HEADERS_UNTIL`` the
deprecated ``X-Casedesk-*`` headers of earlier releases are sent as well.

Delivery itself is the outbox's (``notifications.services``: claim, lease, one retry policy); the
request goes through ``notifications.outbound``, which checks the address at send time, connects to
the address it checked and never follows a redirect.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from datetime import UTC, datetime, time
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from standardwebhooks import Webhook

from accounts.models import Company, User
from accounts.selectors import company_manager_check
from core.errors import Conflict, ValidationFailed
from core.publish import publish_after_commit
from notifications import outbound
from notifications.models import WEBHOOK_SECRET_PREFIX, Notification, WebhookEndpoint, webhook_secret_new
from notifications.tasks import notifications_deliver_many_task
from notifications.webhook_events import TEST_EVENT, webhook_test_payload

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5
USER_AGENT = "Casedesk-Webhooks/1"


# --- secrets and signatures -----------------------------------------------------------------------


def webhook_secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_`` secret stands for (the specification's encoding: base64)."""
    return base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)


def webhook_signing_secrets(*, endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current one, and the previous one while its grace
    period after a rotation lasts."""
    secrets = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and now < expires:
        secrets.append(endpoint.previous_secret)
    return secrets


def webhook_signature_header(*, secrets: list[str], message_id: str, timestamp: datetime, body: bytes) -> str:
    """``webhook-signature``: one ``v1,<base64 HMAC-SHA256>`` per secret, space-separated (a receiver
    accepts the delivery when any one verifies with its secret)."""
    text = body.decode("utf-8")
    return " ".join(Webhook(secret).sign(message_id, timestamp, text) for secret in secrets)


def webhook_legacy_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """The deprecated ``X-Casedesk-Signature``: HMAC-SHA256 over "<timestamp>.<body>" with the
    secret's key. For endpoints registered before Standard Webhooks the key is the hex string their
    receivers hold (the migration encoded it unchanged), so their verifiers keep working."""
    digest = hmac.new(
        webhook_secret_key(secret), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return f"sha256={digest}"


def webhook_legacy_headers_sent(*, now: datetime) -> bool:
    """Whether deliveries still carry the deprecated X-Casedesk-* headers (before the day set)."""
    return now < datetime.combine(settings.WEBHOOK_LEGACY_HEADERS_UNTIL, time.min, tzinfo=UTC)


def webhook_message_id_new() -> str:
    """``webhook-id`` of a new delivery: unique, and kept by the outbox row for every attempt."""
    return f"msg_{uuid.uuid4().hex}"


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent and signed (compact, keys sorted, ASCII)."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def webhook_headers(
    *, endpoint: WebhookEndpoint, message_id: str, event_type: str, delivery: str, body: bytes, now: datetime
) -> dict[str, str]:
    """Every header of one attempt: Standard Webhooks' three, and the deprecated ones while they last."""
    signed_at = now.astimezone(UTC).replace(microsecond=0)  # the header carries whole seconds
    timestamp = str(int(signed_at.timestamp()))
    secrets = webhook_signing_secrets(endpoint=endpoint, now=now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": timestamp,
        "webhook-signature": webhook_signature_header(
            secrets=secrets, message_id=message_id, timestamp=signed_at, body=body
        ),
    }
    if webhook_legacy_headers_sent(now=now):
        # Signed with the current secret only: the rotation grace applies to webhook-signature.
        headers |= {
            "X-Casedesk-Event": event_type,
            "X-Casedesk-Delivery": delivery,
            "X-Casedesk-Timestamp": timestamp,
            "X-Casedesk-Signature": webhook_legacy_signature(
                secret=endpoint.secret, timestamp=timestamp, body=body
            ),
        }
    return headers


def webhook_post(*, endpoint: WebhookEndpoint, notification: Notification, now: datetime) -> int:
    """POST one outbox row's payload to ``endpoint``, signed now; answers the HTTP status (a 3xx is
    returned, never followed). Raises ``OutboundRefused`` before any connection when the URL may not
    be called now, and urllib3/socket errors when the request fails."""
    body = webhook_body(notification.context)
    headers = webhook_headers(
        endpoint=endpoint,
        message_id=notification.message_id,
        event_type=notification.kind,
        delivery=str(notification.pk),
        body=body,
        now=now,
    )
    try:
        return outbound.post(endpoint.url, body=body, headers=headers, timeout=WEBHOOK_TIMEOUT_SECONDS)
    except outbound.OutboundRefused as refused:
        # The row's error is shown to the endpoint's managers (the deliveries API): it names the kind
        # of address only. The address the name resolved to is for the operators' log.
        logger.warning("webhook delivery %s refused: %s", notification.pk, refused)
        raise outbound.OutboundRefused(refused.detail, code=refused.code, reason=refused.reason) from None


# --- management -----------------------------------------------------------------------------------


def webhook_url_check(url: str) -> None:
    """Refuse a webhook URL that could reach anything but a public HTTPS endpoint: credentials in it,
    plain http (except WEBHOOK_ALLOW_HTTP_HOSTS), an address or a host resolving to an address that
    is not public (notifications/outbound.py). A host that does not resolve is refused too: the
    manager learns of a typo now rather than from failed deliveries. Sending checks again."""
    try:
        outbound.url_check(url)
    except outbound.OutboundRefused as exc:
        raise ValidationFailed(
            exc.detail, code=exc.code, extra={"reason": exc.reason} if exc.reason else None
        ) from exc


def webhook_register(
    *, actor: User, company: Company, url: str, event_types: list[str], now: datetime | None = None
) -> WebhookEndpoint:
    """A company manager (or support manager) registers an endpoint; the secret is shown once.
    Not one transaction: the URL check resolves a host name (network I/O), and the write is one row."""
    company_manager_check(user=actor, company=company)  # before the lookup: strangers learn nothing
    webhook_url_check(url)
    endpoint = WebhookEndpoint.objects.create(
        company=company,
        url=url,
        event_types=list(dict.fromkeys(event_types)),
        created_by=actor,
        created_at=now or timezone.now(),
    )
    logger.info("webhook %s registered for company %s by user %s", endpoint.pk, company.pk, actor.pk)
    return endpoint


def _endpoint_for_change(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The endpoint's row locked for this transaction, once ``actor`` is checked again (they may have
    lost the manager role since the view read it)."""
    locked = WebhookEndpoint.objects.select_for_update().select_related("company").get(pk=endpoint.pk)
    company_manager_check(user=actor, company=locked.company)
    return locked


@transaction.atomic
def webhook_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    event_types: list[str] | None = None,
    is_active: bool | None = None,
) -> WebhookEndpoint:
    """Change which event types an endpoint receives (empty: all) and whether it receives any; a
    value left out, or equal to the current one, changes nothing. Deliveries already written for a
    disabled endpoint fail when their turn comes (they are not sent)."""
    endpoint = _endpoint_for_change(actor=actor, endpoint=endpoint)
    changed: list[str] = []
    if event_types is not None:
        event_types = list(dict.fromkeys(event_types))  # each type once, in the order given
    if event_types is not None and event_types != endpoint.event_types:
        endpoint.event_types = event_types
        changed.append("event_types")
    if is_active is not None and is_active != endpoint.is_active:
        endpoint.is_active = is_active
        changed.append("is_active")
    if changed:
        endpoint.save(update_fields=changed)
        logger.info("webhook %s: %s changed by user %s", endpoint.pk, ", ".join(changed), actor.pk)
    return endpoint


@transaction.atomic
def webhook_secret_rotate(
    *, actor: User, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookEndpoint:
    """Issue a new secret (returned on the endpoint, to be shown once). The secret it replaces keeps
    signing beside it for WEBHOOK_SECRET_ROTATION_GRACE; a secret already in its grace period (a
    second rotation within it) stops signing at once."""
    now = now or timezone.now()
    endpoint = _endpoint_for_change(actor=actor, endpoint=endpoint)
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + settings.WEBHOOK_SECRET_ROTATION_GRACE
    endpoint.secret = webhook_secret_new()
    endpoint.secret_rotated_at = now
    endpoint.save(
        update_fields=["secret", "previous_secret", "previous_secret_expires_at", "secret_rotated_at"]
    )
    logger.info("webhook %s: secret rotated by user %s", endpoint.pk, actor.pk)
    return endpoint


@transaction.atomic
def webhook_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete the endpoint and its delivery log; deliveries not yet sent are never sent (delivery
    reads the endpoint again before each attempt)."""
    endpoint = _endpoint_for_change(actor=actor, endpoint=endpoint)
    endpoint_id, company_id = endpoint.pk, endpoint.company_id
    endpoint.delete()
    logger.info("webhook %s of company %s deleted by user %s", endpoint_id, company_id, actor.pk)


@transaction.atomic
def webhook_test_send(*, actor: User, endpoint: WebhookEndpoint, now: datetime | None = None) -> Notification:
    """Write a ``webhook.test`` delivery to the outbox; after commit a worker delivers it like any
    other (signed, checked at send time, retried by the row's policy). Answers the outbox row."""
    now = now or timezone.now()
    endpoint = _endpoint_for_change(actor=actor, endpoint=endpoint)
    if not endpoint.is_active:
        raise Conflict(_("This webhook is disabled: enable it before testing it."), code="webhook_inactive")
    row = Notification.objects.create(
        idempotency_key=f"webhook_test:{endpoint.pk}:{uuid.uuid4().hex}",
        message_id=webhook_message_id_new(),
        kind=TEST_EVENT,
        channel=Notification.Channel.WEBHOOK,
        webhook=endpoint,
        to_address=endpoint.url,
        context=dict(webhook_test_payload(webhook_id=endpoint.pk, at=now)),
        next_attempt_at=now,
        created_at=now,
    )
    publish_after_commit(notifications_deliver_many_task, [row.pk])
    logger.info("webhook %s: test delivery %s asked for by user %s", endpoint.pk, row.pk, actor.pk)
    return row
