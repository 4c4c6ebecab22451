"""System status: maintenance windows, incidents and their public updates, and who follows them.

A maintenance window is either weekly (a wall-clock start in an IANA zone, a real duration, and
optional first/last local dates; see ``status.recurrence``) or one-off (two UTC instants).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Product
from core.models import Weekday
from status.recurrence import UnknownTimeZone, WeeklyRule, zone_get

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def validate_time_zone(value: str) -> None:
    try:
        zone_get(value)
    except UnknownTimeZone as exc:
        raise ValidationError(str(exc), code="invalid_time_zone") from exc


def _duration_text(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


class MaintenanceWindow(models.Model):
    """Planned time when a product may be offline."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        ONE_OFF = "one_off", "One-off"

    Weekday = Weekday

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="maintenance_windows")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.WEEKLY)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # Weekly windows
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    local_start_time = models.TimeField(
        null=True, blank=True, help_text="Wall-clock start in the window's time zone."
    )
    duration = models.DurationField(null=True, blank=True, help_text="Elapsed time, at most 7 days.")
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. America/Los_Angeles.",
    )
    active_from = models.DateField(null=True, blank=True, help_text="First local start date (inclusive).")
    active_until = models.DateField(null=True, blank=True, help_text="Last local start date (inclusive).")
    # One-off windows
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)

    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects: ClassVar[models.Manager[MaintenanceWindow]]

    class Meta:
        ordering = ["product_id", "id"]
        indexes = [models.Index(fields=["product", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        kind="weekly",
                        weekday__gte=0,
                        weekday__lte=6,
                        local_start_time__isnull=False,
                        duration__gt=timedelta(0),
                        duration__lte=timedelta(days=7),
                        starts_at__isnull=True,
                        ends_at__isnull=True,
                    )
                    & ~Q(time_zone="")
                )
                | Q(
                    kind="one_off",
                    weekday__isnull=True,
                    local_start_time__isnull=True,
                    duration__isnull=True,
                    starts_at__isnull=False,
                    ends_at__gt=models.F("starts_at"),
                ),
                name="maintenance_window_kind_fields",
            ),
            models.CheckConstraint(
                condition=Q(active_from__isnull=True)
                | Q(active_until__isnull=True)
                | Q(active_until__gte=models.F("active_from")),
                name="maintenance_window_active_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.schedule_text})"

    @property
    def schedule_text(self) -> str:
        if (
            self.kind == self.Kind.WEEKLY
            and self.weekday is not None
            and self.local_start_time
            and self.duration
        ):
            return (
                f"every {WEEKDAY_NAMES[self.weekday]} from {self.local_start_time:%H:%M} {self.time_zone}, "
                f"{_duration_text(self.duration)}"
            )
        if self.starts_at and self.ends_at:
            return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M} UTC"
        return "incomplete"

    @property
    def weekly_rule(self) -> WeeklyRule:
        if self.kind != self.Kind.WEEKLY or self.weekday is None or self.local_start_time is None:
            raise ValueError(f"Maintenance window #{self.pk} is not a complete weekly window.")
        assert self.duration is not None
        return WeeklyRule(
            weekday=self.weekday,
            local_start=self.local_start_time,
            duration=self.duration,
            time_zone=self.time_zone,
            active_from=self.active_from,
            active_until=self.active_until,
        )

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.kind == self.Kind.WEEKLY:
            for field in ("weekday", "local_start_time", "duration", "time_zone"):
                if getattr(self, field) in (None, ""):
                    errors[field] = "Required for a weekly window."
            if self.duration is not None and not timedelta(0) < self.duration <= timedelta(days=7):
                errors["duration"] = "More than zero and at most 7 days."
            for field in ("starts_at", "ends_at"):
                if getattr(self, field) is not None:
                    errors[field] = "Only for one-off windows."
        else:
            for field in ("starts_at", "ends_at"):
                if getattr(self, field) is None:
                    errors[field] = "Required for a one-off window."
            if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
                errors["ends_at"] = "Must be after the start."
            for field in ("weekday", "local_start_time", "duration"):
                if getattr(self, field) is not None:
                    errors[field] = "Only for weekly windows."
        if self.active_from and self.active_until and self.active_until < self.active_from:
            errors["active_until"] = "Must not be before active_from."
        if errors:
            raise ValidationError(errors)


class Incident(models.Model):
    """Unplanned trouble with a product, open until resolved."""

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    class Impact(models.TextChoices):
        DEGRADED = "degraded", "Degraded performance"
        OUTAGE = "outage", "Outage"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVESTIGATING)
    impact = models.CharField(max_length=10, choices=Impact.choices, default=Impact.DEGRADED)
    started_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Incident]]

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(
                fields=["product"], condition=Q(resolved_at__isnull=True), name="incident_open_by_product"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status="resolved") & Q(resolved_at__isnull=False))
                | (~Q(status="resolved") & Q(resolved_at__isnull=True)),
                name="incident_resolved_at_iff_resolved",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class IncidentUpdate(models.Model):
    """A public, timestamped note on an incident; immutable once written."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=Incident.Status.choices)
    message = models.TextField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[models.Manager[IncidentUpdate]]

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Incident updates are immutable.")
        super().save(*args, **kwargs)


class StatusSubscription(models.Model):
    """A user's opt-in to hear about a product's incidents and maintenance."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="status_subscriptions"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="status_subscriptions")
    opted_in = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects: ClassVar[models.Manager[StatusSubscription]]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="uniq_status_subscription")]
        indexes = [models.Index(fields=["product", "opted_in"])]

    def __str__(self) -> str:
        return f"{self.user} → {self.product} ({'in' if self.opted_in else 'out'})"
