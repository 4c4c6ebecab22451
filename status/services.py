"""Every write to system status: maintenance windows, incidents and their updates, subscriptions.

Subscribers are told about changes through ``status_subscribers_notify``: one outbox row per
subscriber, written in the same transaction as the change and delivered by the notifications worker
(retried, and swept up if the delivery message is lost); it never sends e-mail itself.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Product, User
from core.errors import Conflict, ValidationFailed
from status.models import Incident, IncidentUpdate, MaintenanceWindow, StatusSubscription
from status.notices import notifications_for_status_change

logger = logging.getLogger(__name__)


class StatusEvent(StrEnum):
    INCIDENT_OPENED = "incident_opened"
    INCIDENT_UPDATED = "incident_updated"
    INCIDENT_RESOLVED = "incident_resolved"
    MAINTENANCE_SCHEDULED = "maintenance_scheduled"


def status_subscribers_notify(*, product_id: int, event: str, object_id: int, now: datetime) -> list[int]:
    """Write one e-mail per opted-in subscriber of the product into the notifications outbox (in the
    caller's transaction; delivered after commit). Answers the recipients' user ids."""
    subscribers = list(
        User.objects.filter(
            status_subscriptions__product_id=product_id, status_subscriptions__opted_in=True, is_active=True
        )
        .exclude(email="")
        .order_by("pk")
    )
    if event == StatusEvent.MAINTENANCE_SCHEDULED:
        window = MaintenanceWindow.objects.select_related("product").get(pk=object_id)
        kind, context = (
            "status_maintenance",
            {
                "product": window.product.name,
                "title": window.title,
                "message": window.description,
                "schedule": str(window),
            },
        )
    else:
        update = IncidentUpdate.objects.select_related("incident__product").get(pk=object_id)
        kind, context = (
            "status_incident",
            {
                "product": update.incident.product.name,
                "title": update.incident.title,
                "incident_status": update.status,
                "message": update.message,
            },
        )
    notifications_for_status_change(
        key=f"status:{event}:{object_id}", kind=kind, users=subscribers, context=context, now=now
    )
    logger.info("status %s #%s: %d subscriber(s) notified", event, object_id, len(subscribers))
    return [user.pk for user in subscribers]


def _notify_after_commit(*, product_id: int, event: StatusEvent, object_id: int) -> None:
    # The outbox rows are written now, with their cause; delivery happens after commit.
    status_subscribers_notify(
        product_id=product_id, event=event.value, object_id=object_id, now=timezone.now()
    )


def _validated(instance: MaintenanceWindow | Incident, *, code: str) -> None:
    try:
        instance.full_clean(exclude=["product"])
    except ValidationError as exc:
        raise ValidationFailed(
            _("Invalid %(what)s: %(errors)s")
            % {
                "what": instance._meta.verbose_name,
                "errors": "; ".join(
                    f"{name}: {' '.join(texts)}" for name, texts in sorted(exc.message_dict.items())
                ),
            },
            code=code,
            extra={"errors": exc.message_dict},
        ) from exc


@transaction.atomic
def maintenance_window_create(
    *,
    product: Product,
    title: str,
    kind: str = MaintenanceWindow.Kind.WEEKLY,
    description: str = "",
    weekday: int | None = None,
    local_start_time: time | None = None,
    duration: timedelta | None = None,
    time_zone: str = "",
    active_from: date | None = None,
    active_until: date | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    is_active: bool = True,
    now: datetime | None = None,
) -> MaintenanceWindow:
    """Schedule a weekly or one-off window; subscribers are told after commit."""
    now = now or timezone.now()
    window = MaintenanceWindow(
        product=product,
        kind=kind,
        title=title,
        description=description,
        weekday=weekday,
        local_start_time=local_start_time,
        duration=duration,
        time_zone=time_zone,
        active_from=active_from,
        active_until=active_until,
        starts_at=starts_at,
        ends_at=ends_at,
        is_active=is_active,
        created_at=now,
    )
    _validated(window, code="invalid_maintenance_window")
    window.save()
    if is_active:
        _notify_after_commit(
            product_id=product.pk, event=StatusEvent.MAINTENANCE_SCHEDULED, object_id=window.pk
        )
    return window


MAINTENANCE_WINDOW_EDITABLE = (
    "kind",
    "title",
    "description",
    "weekday",
    "local_start_time",
    "duration",
    "time_zone",
    "active_from",
    "active_until",
    "starts_at",
    "ends_at",
    "is_active",
)


@transaction.atomic
def maintenance_window_update(
    *, window: MaintenanceWindow, changes: dict[str, object], now: datetime | None = None
) -> MaintenanceWindow:
    """Change a window's schedule or text; saves only changed fields (no-op when nothing changes)."""
    unknown = set(changes) - set(MAINTENANCE_WINDOW_EDITABLE)
    if unknown:
        raise ValidationFailed(
            _("Not editable: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="invalid_maintenance_window",
        )
    window = MaintenanceWindow.objects.select_for_update().select_related("product").get(pk=window.pk)
    changed = [name for name, value in changes.items() if getattr(window, name) != value]
    if not changed:
        return window
    for name in changed:
        setattr(window, name, changes[name])
    _validated(window, code="invalid_maintenance_window")
    window.save(update_fields=changed)
    return window


def _message_required(message: str) -> str:
    message = message.strip()
    if not message:
        raise ValidationFailed(_("An incident update needs a message."), code="message_required")
    return message


@transaction.atomic
def incident_create(
    *,
    product: Product,
    title: str,
    message: str,
    impact: str = Incident.Impact.DEGRADED,
    status: str = Incident.Status.INVESTIGATING,
    started_at: datetime | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> Incident:
    """Open an incident with its first public update; subscribers are told after commit."""
    now = now or timezone.now()
    message = _message_required(message)
    if status == Incident.Status.RESOLVED:
        raise ValidationFailed(_("A new incident cannot start resolved."), code="invalid_incident")
    incident = Incident(
        product=product, title=title, status=status, impact=impact, started_at=started_at or now
    )
    _validated(incident, code="invalid_incident")
    incident.save()
    update = IncidentUpdate.objects.create(
        incident=incident, status=status, message=message, author=actor, created_at=now
    )
    _notify_after_commit(product_id=product.pk, event=StatusEvent.INCIDENT_OPENED, object_id=update.pk)
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    status: str,
    message: str,
    impact: str | None = None,
    actor: User | None = None,
    now: datetime | None = None,
) -> IncidentUpdate:
    """Post a public update; may change status and impact; ``resolved`` sets resolved_at. Subscribers told after commit."""
    now = now or timezone.now()
    message = _message_required(message)
    if status not in Incident.Status.values:
        raise ValidationFailed(
            _("Unknown incident status %(status)s.") % {"status": repr(status)}, code="invalid_incident"
        )
    if impact is not None and impact not in Incident.Impact.values:
        raise ValidationFailed(
            _("Unknown incident impact %(impact)s.") % {"impact": repr(impact)}, code="invalid_incident"
        )
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if not incident.is_open:
        raise Conflict(_("This incident is already resolved."), code="incident_resolved")

    changed: list[str] = []
    if status != incident.status:
        incident.status = status
        changed.append("status")
    if impact is not None and impact != incident.impact:
        incident.impact = impact
        changed.append("impact")
    if status == Incident.Status.RESOLVED:
        incident.resolved_at = now
        changed.append("resolved_at")
    if changed:
        incident.save(update_fields=changed)
    update = IncidentUpdate.objects.create(
        incident=incident, status=status, message=message, author=actor, created_at=now
    )
    event = (
        StatusEvent.INCIDENT_RESOLVED if status == Incident.Status.RESOLVED else StatusEvent.INCIDENT_UPDATED
    )
    _notify_after_commit(product_id=incident.product_id, event=event, object_id=update.pk)
    return update


@transaction.atomic
def status_subscription_set(
    *, user: User, product: Product, now: datetime | None = None
) -> StatusSubscription:
    """Opt ``user`` in to ``product``'s status news (no-op when already in)."""
    now = now or timezone.now()
    subscription, created = StatusSubscription.objects.select_for_update().get_or_create(
        user=user, product=product, defaults={"opted_in": True, "created_at": now, "updated_at": now}
    )
    if not created and not subscription.opted_in:
        subscription.opted_in = True
        subscription.updated_at = now
        subscription.save(update_fields=["opted_in", "updated_at"])
    return subscription


@transaction.atomic
def status_subscription_unset(
    *, user: User, product: Product, now: datetime | None = None
) -> StatusSubscription | None:
    """Opt ``user`` out (the row stays, as the record of the choice); no-op when not subscribed."""
    now = now or timezone.now()
    subscription = StatusSubscription.objects.select_for_update().filter(user=user, product=product).first()
    if subscription is None or not subscription.opted_in:
        return subscription
    subscription.opted_in = False
    subscription.updated_at = now
    subscription.save(update_fields=["opted_in", "updated_at"])
    return subscription
