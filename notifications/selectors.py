"""Reads shared by the API and the admin: a webhook endpoint's deliveries."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification, WebhookEndpoint


def webhook_deliveries(*, endpoint: WebhookEndpoint) -> QuerySet[Notification]:
    """The endpoint's deliveries (its outbox rows), newest first; sent ones are kept for
    RETENTION_SENT_NOTIFICATIONS_DAYS (core retention), failed and pending ones until sent or deleted."""
    return Notification.objects.filter(webhook=endpoint).order_by("-created_at", "-id")
