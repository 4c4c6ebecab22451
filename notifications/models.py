"""The outbox: one row per message to send, written in the same transaction as its cause.

Delivery happens after commit, from a worker; a unique key per (source, recipient, channel) means
a retried or duplicated job never creates a message twice. Delivery is at-least-once: see
``notifications.delivery`` for the claim, the lease and the retry policy.
"""

from __future__ import annotations

import base64
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


def new_message_id() -> str:
    """An RFC 5322 Message-ID, unique to one outbox row and kept for every attempt to send it."""
    return f"<{uuid.uuid4().hex}.outbox@{settings.EMAIL_MESSAGE_ID_DOMAIN}>"


class Notification(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    idempotency_key = models.CharField(max_length=200, unique=True)
    # Sent as the e-mail's Message-ID header: a resend after a crash carries the same id, so the
    # receiving side (and our own audit) can tell it is the same message.
    message_id = models.CharField(max_length=255, unique=True, default=new_message_id, editable=False)
    kind = models.CharField(max_length=50)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    to_address = models.CharField(max_length=500, help_text="E-mail address or webhook URL.")
    webhook = models.ForeignKey(
        "WebhookEndpoint", null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    language = models.CharField(max_length=8, default="en")
    # Dates and times in the message are shown in this zone (the recipient's), in ``language``.
    time_zone = models.CharField(max_length=64, default="UTC")
    context = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the row is next due: a pending row's (re)try time; a sending row's lease end, after
    # which a worker that died holding it has lost it and any worker may claim it again.
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_due",
            ),
            # /metrics: the undelivered backlog by status and its oldest pending row.
            models.Index(
                fields=["status", "created_at"],
                condition=Q(status__in=["pending", "sending", "failed"]),
                name="notification_backlog",
            ),
            # The retention job: delivered rows, oldest first.
            models.Index(fields=["sent_at"], condition=Q(status="sent"), name="notification_sent_purge"),
            # An endpoint's recent deliveries, newest first (webhooks/{id}/deliveries/).
            models.Index(
                fields=["webhook", "-created_at", "-id"],
                condition=Q(webhook__isnull=False),
                name="notification_webhook_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_address} ({self.status})"


WEBHOOK_SECRET_PREFIX = "whsec_"


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes (the HMAC key)."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


_new_secret = webhook_secret_new  # the name migration 0001 refers to


class WebhookEndpoint(models.Model):
    """An HTTPS endpoint a company registers for chosen case event types. Deliveries are signed per
    Standard Webhooks with ``secret``; after a rotation ``previous_secret`` signs beside it until
    ``previous_secret_expires_at`` (notifications/webhooks.py)."""

    company = models.ForeignKey("accounts.Company", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    event_types = models.JSONField(
        default=list, help_text="Case event types, e.g. ['created', 'transition']; empty: every event."
    )
    secret = models.CharField(max_length=128, default=webhook_secret_new, editable=False)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.company}: {self.url}"


def _survey_token() -> str:
    """The default migration 0001 names; the model is ``cases.SatisfactionSurvey`` now."""
    return secrets.token_urlsafe(24)


def _authorization_reply_token() -> str:
    """The default migration 0002 names; the model is ``accounts.AuthorizationReplyAddress`` now."""
    return secrets.token_hex(20)
