"""A company's webhook endpoints for its case events (the catalogue: ``cases.webhook_events``): the
reads and writes behind the API. A company manager (or a support manager) registers an endpoint,
changes it, rotates its secret, deletes it or asks for a test delivery. Signing and sending are
``notifications.webhooks``'s; delivery is the outbox's."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, User
from accounts.selectors import company_manager_check, membership_for
from core.errors import Conflict, NotFound
from notifications.models import Notification, WebhookEndpoint, webhook_secret_new
from notifications.outbox import outbox_webhook_row, outbox_write
from notifications.webhooks import TEST_EVENT, webhook_test_payload, webhook_url_check

logger = logging.getLogger(__name__)


# --- reads ----------------------------------------------------------------------------------------


def webhook_list_for_user(*, user: User) -> QuerySet[WebhookEndpoint]:
    """The endpoints ``user`` manages: every company's for support managers, their company's for its
    managers (another member of the company: 403 ``not_company_manager``), none for anyone else."""
    if user.is_support_manager:
        return WebhookEndpoint.objects.order_by("pk")
    membership = membership_for(user)
    if membership is None or membership.company is None:
        return WebhookEndpoint.objects.none()
    company_manager_check(user=user, company=membership.company)
    return WebhookEndpoint.objects.filter(company=membership.company).order_by("pk")


def webhook_get_for_user(*, user: User, webhook_id: int) -> WebhookEndpoint:
    """One endpoint ``user`` manages; another company's and a missing one look the same (404)."""
    endpoint = webhook_list_for_user(user=user).filter(pk=webhook_id).first()
    if endpoint is None:
        raise NotFound(_("Webhook not found."))
    return endpoint


# --- writes ---------------------------------------------------------------------------------------


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
    row = outbox_webhook_row(
        endpoint,
        key=f"webhook_test:{endpoint.pk}:{uuid.uuid4().hex}",
        event_type=TEST_EVENT,
        payload=dict(webhook_test_payload(webhook_id=endpoint.pk, at=now)),
        now=now,
    )
    outbox_write([row])  # a new key: always written, and delivered after commit
    logger.info("webhook %s: test delivery %s asked for by user %s", endpoint.pk, row.pk, actor.pk)
    return row
