"""Webhooks: the endpoints a company registers, how each delivery is signed and sent, and the
check of a URL a manager registers. The management services (register, update, rotate, delete, send a
test) are ``notifications.webhook_endpoints``.

Signing follows the Standard Webhooks specification through its reference library
(``standardwebhooks``), so a receiver verifies with any of the specification's libraries:
``webhook-id`` (the outbox row's id, the same on every attempt: receivers deduplicate by it),
``webhook-timestamp`` (the attempt's time, in seconds) and ``webhook-signature`` (``v1,<base64>``
per valid secret, space-separated). After a rotation the previous secret signs beside the new one
until ``WEBHOOK_SECRET_ROTATION_GRACE`` has passed. Until ``WEBHOOK_LEGACY_HEADERS_UNTIL`` the
deprecated ``X-Casedesk-*`` headers of earlier releases are sent as well.

Delivery itself is the outbox's (``notifications.delivery``: claim, lease, one retry policy); the
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
from typing import Any, TypedDict

from django.conf import settings
from standardwebhooks import Webhook

from core.errors import ValidationFailed
from notifications import outbound
from notifications.models import WEBHOOK_SECRET_PREFIX, Notification, WebhookEndpoint

logger = logging.getLogger(__name__)

WEBHOOK_TIMEOUT_SECONDS = 5
USER_AGENT = "Casedesk-Webhooks/1"
TEST_EVENT = "webhook.test"


class WebhookRef(TypedDict):
    id: int


class WebhookTestPayload(TypedDict):
    event: str
    occurred_at: str
    webhook: WebhookRef


def webhook_test_payload(*, webhook_id: int, at: datetime) -> WebhookTestPayload:
    """The payload of a test delivery asked for through the API: it names no case."""
    return {"event": TEST_EVENT, "occurred_at": at.isoformat(), "webhook": {"id": webhook_id}}


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
