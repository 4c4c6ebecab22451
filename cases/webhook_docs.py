"""``docs/webhooks.md``, written from the code: the headers, the verification snippet and the event
catalogue (``cases/webhook_events.py``) with one example payload per event type, built by
the functions real deliveries use. ``python manage.py webhooks_docs`` writes it; a test fails when
the committed file differs from what this renders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings

from cases.webhook_events import (
    CASE_EVENT_FIELDS,
    CASE_EVENT_TYPES,
    TEST_EVENT,
    WEBHOOK_TEST_FIELDS,
    Audience,
    example_payload,
    example_test_payload,
)
from notifications.webhooks import USER_AGENT, WEBHOOK_TIMEOUT_SECONDS

DOCS_PATH = Path(settings.BASE_DIR) / "docs" / "webhooks.md"

# The receiver's side, in Python with the specification's library; tests run this very text against
# real deliveries (tests/notifications/test_webhook_catalogue.py).
VERIFY_SNIPPET = '''\
from standardwebhooks import Webhook, WebhookVerificationError

# The endpoint's secret, shown once when it was registered or its secret rotated.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def receive(body: bytes, headers: dict[str, str]) -> dict | None:
    """The event, or None when the request is not a delivery from Casedesk (answer it 400).
    `body` must be the raw request body, before any JSON parsing."""
    try:
        return Webhook(SECRET).verify(body, headers)
    except WebhookVerificationError:
        return None
'''


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, sort_keys=True)


def _fields_table(fields: tuple[tuple[str, str, str], ...]) -> list[str]:
    lines = ["| field | type | meaning |", "| --- | --- | --- |"]
    lines += [f"| `{name}` | {kind} | {meaning} |" for name, kind, meaning in fields]
    return lines


def webhook_docs_render() -> str:
    """The whole document, as committed."""
    backoff = int(settings.NOTIFICATION_BACKOFF.total_seconds())
    cap = int(settings.NOTIFICATION_BACKOFF_CAP.total_seconds() // 60)
    grace = int(settings.WEBHOOK_SECRET_ROTATION_GRACE.total_seconds() // 3600)
    delivered = [event for event in CASE_EVENT_TYPES if event.delivered]
    internal = [event for event in CASE_EVENT_TYPES if not event.delivered]
    lines = [
        "# Webhooks: deliveries, verification and the event catalogue",
        "",
        "<!-- Written by `python manage.py webhooks_docs` from cases/webhook_events.py and",
        "     cases/webhook_docs.py: edit those, not this file (a test compares them). -->",
        "",
        "A company manager registers an HTTPS endpoint (`POST /api/v1/webhooks/`) and chooses the case",
        "event types it receives (none chosen: every type below). Casedesk then `POST`s one JSON document",
        "per event to it. Deliveries are signed per the [Standard Webhooks](https://www.standardwebhooks.com/)",
        "specification, so any of its libraries verifies them.",
        "",
        "## A delivery",
        "",
        "| header | value |",
        "| --- | --- |",
        "| `webhook-id` | The delivery's id (`msg_…`). A retry carries the same id: process each id once. |",
        "| `webhook-timestamp` | When this attempt was signed, in seconds since 1970-01-01 UTC. |",
        "| `webhook-signature` | `v1,<base64 HMAC-SHA256>`; after a secret rotation, two entries separated "
        "by a space (the new secret's and the previous one's) until the grace period ends. |",
        "| `Content-Type` | `application/json` |",
        f"| `User-Agent` | `{USER_AGENT}` |",
        "",
        "The signed content is `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the secret's bytes",
        "(the base64 after `whsec_`). Verifiers refuse a timestamp more than five minutes from their clock.",
        "",
        f"Answer with a 2xx status within {WEBHOOK_TIMEOUT_SECONDS} seconds. Anything else (a redirect, "
        "which is never followed, an error status, a timeout) is retried:",
        f"after {backoff} seconds, doubling each time up to {cap} minutes, {settings.NOTIFICATION_MAX_ATTEMPTS} "
        "attempts in all; then the delivery is failed.",
        "Delivery is at least once: deduplicate by `webhook-id`. Each endpoint's recent deliveries, with",
        "their status, attempts and last error, are at `GET /api/v1/webhooks/{id}/deliveries/`.",
        "",
        "**Deprecated headers.** Until "
        f"{settings.WEBHOOK_LEGACY_HEADERS_UNTIL.isoformat()} (00:00 UTC; the operator's "
        "`WEBHOOK_LEGACY_HEADERS_UNTIL`), deliveries also carry the headers of earlier releases:",
        "`X-Casedesk-Event` (the event type), `X-Casedesk-Delivery`, `X-Casedesk-Timestamp` and",
        '`X-Casedesk-Signature: sha256=<hex HMAC-SHA256 over "<timestamp>.<body>">`, keyed with the same',
        "bytes and signed with the current secret only. From that day they are no longer sent: verify",
        "`webhook-signature` instead. An endpoint registered before Standard Webhooks keeps its key: its",
        "Standard Webhooks secret is `whsec_` followed by the base64 of the 64-character hex secret it",
        'was given (Python: `"whsec_" + base64.b64encode(hex_secret.encode()).decode()`), or rotate it',
        "for a new one.",
        "",
        "## Verifying a delivery",
        "",
        "With the Python library (`pip install standardwebhooks`):",
        "",
        "```python",
        VERIFY_SNIPPET.rstrip("\n"),
        "```",
        "",
        "The same library exists for other languages under the same name (npm `standardwebhooks`, the",
        "Rust crate `standardwebhooks`, NuGet `StandardWebhooks`, …): each is given the `whsec_` secret,",
        "the raw body and the headers.",
        "",
        "## Managing an endpoint",
        "",
        "| call | what |",
        "| --- | --- |",
        "| `GET /api/v1/webhooks/`, `GET /api/v1/webhooks/{id}/` | the endpoints (never their secrets) |",
        "| `PATCH /api/v1/webhooks/{id}/` | `event_types` (empty: every type), `is_active` |",
        "| `POST /api/v1/webhooks/{id}/rotate-secret/` | a new secret, shown once; the previous one keeps "
        f"signing beside it for {grace} hours (`previous_secret_expires_at`) |",
        f"| `POST /api/v1/webhooks/{{id}}/test/` | queue a `{TEST_EVENT}` delivery (202) |",
        "| `GET /api/v1/webhooks/{id}/deliveries/` | recent deliveries, newest first (cursor pages) |",
        "| `DELETE /api/v1/webhooks/{id}/` | the endpoint and its delivery log; queued deliveries are "
        "never sent |",
        "",
        "## Event types",
        "",
        "| type | sent when | which events |",
        "| --- | --- | --- |",
    ]
    lines += [f"| `{event.name}` | {event.sent_when} | {event.audience} |" for event in delivered]
    lines += [f"| `{TEST_EVENT}` | A manager asks for a test (`POST …/test/`). | each request |"]
    lines += [
        "",
        "Never sent, as events of these types are internal to support: "
        + ", ".join(f"`{event.name}`" for event in internal)
        + f'. "{Audience.PUBLIC}": events support marks internal (internal notes, their attachments) '
        "are not sent.",
        "",
        "## Payloads",
        "",
        "Every case event has the same shape:",
        "",
        *_fields_table(CASE_EVENT_FIELDS),
        "",
        f"`{TEST_EVENT}` names no case:",
        "",
        *_fields_table(WEBHOOK_TEST_FIELDS),
        "",
        "Receivers should ignore fields they do not know: new ones may be added.",
        "",
        "## Examples",
    ]
    for event in delivered:
        lines += ["", f"### `{event.name}`", "", "```json", _json(example_payload(event)), "```"]
    lines += ["", f"### `{TEST_EVENT}`", "", "```json", _json(example_test_payload()), "```", ""]
    return "\n".join(lines)
