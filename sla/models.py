"""SLA data: business calendars, versioned policies with targets, and per-case timers.

Everything is data, seeded by fixtures and edited by support managers in the admin. A timer copies
its target (minutes, calendar, policy) when it starts, so editing a policy changes the
targets of cases that start afterwards, never silently those already running; an explicit
recompute (priority change) takes the policy in force at that moment and records why.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cases.models import Case, Priority
from core.models import Weekday


class Calendar(models.Model):
    """When the clock runs. Blank time zone / country mean "the company's own" (its local time)."""

    class Kind(models.TextChoices):
        BUSINESS_HOURS = "business_hours", "Business hours"
        AROUND_THE_CLOCK = "around_the_clock", "24×7"

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.BUSINESS_HOURS)
    time_zone = models.CharField(max_length=64, blank=True, help_text="IANA name; blank: the company's.")
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO code for holidays; blank: the company's."
    )
    public_holidays = models.BooleanField(default=True, help_text="Skip the country's public holidays.")
    # The calendar's version: resolved calendars are cached by it, and each timer records the version
    # it was last computed with, so an edit is noticed and every timer it moves gets an event.
    updated_at = models.DateTimeField(auto_now=True)
    change_note = models.CharField(
        max_length=500, blank=True, editable=False, help_text="What the last edit changed."
    )
    timers_outdated = models.BooleanField(
        default=False,
        editable=False,
        help_text="Live timers computed before the last edit remain (the SLA sweep recomputes them).",
    )

    def __str__(self) -> str:
        return self.name


class WorkingInterval(models.Model):
    Weekday = Weekday

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="intervals")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="At or before the start: the interval ends the next day.")

    class Meta:
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class Holiday(models.Model):
    """A closed day staff add on top of the public holidays (blank country: every country)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    country = models.CharField(max_length=2, blank=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date", "country"], name="uniq_holiday")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Metric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    NEXT_UPDATE = "next_update", "Next update"
    RESOLUTION = "resolution", "Resolution"


class SlaPolicy(models.Model):
    name = models.CharField(max_length=120, unique=True)
    rank = models.PositiveIntegerField(unique=True, help_text="Lower rank wins when several policies apply.")
    is_active = models.BooleanField(default=True)
    companies = models.ManyToManyField(
        "accounts.Company", blank=True, related_name="sla_policies", help_text="Empty: every company."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        ordering = ["rank"]

    def __str__(self) -> str:
        return f"{self.name} (rank {self.rank})"


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    sla_band = models.PositiveSmallIntegerField(choices=[(1, "Band 1"), (2, "Band 2"), (3, "Band 3")])
    priority = models.CharField(max_length=2, choices=Priority.choices)
    metric = models.CharField(max_length=20, choices=Metric.choices)
    minutes = models.PositiveIntegerField()
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["policy", "metric", "sla_band", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "sla_band", "priority", "metric"], name="uniq_sla_target"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} band {self.sla_band} {self.priority}: {self.minutes} min ({self.calendar})"


class SlaTimer(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", "Running"
        PAUSED = "paused", "Paused"
        MET = "met", "Met"
        BREACHED = "breached", "Breached"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_timers")
    metric = models.CharField(max_length=20, choices=Metric.choices)
    state = models.CharField(max_length=16, choices=State.choices)
    target_minutes = models.PositiveIntegerField(null=True, blank=True)
    calendar = models.ForeignKey(Calendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(SlaPolicy, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    holidays_version = models.CharField(
        max_length=20, blank=True, help_text="`holidays` package version used."
    )
    calendar_version = models.DateTimeField(
        null=True, blank=True, help_text="The calendar's updated_at this timer was last computed with."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(
        null=True, blank=True, help_text="UTC; empty while paused or not applicable."
    )
    warning_at = models.DateTimeField(null=True, blank=True, help_text="When the next warning is due.")
    warnings_sent = models.PositiveSmallIntegerField(default=0)
    remaining_seconds = models.IntegerField(
        null=True, blank=True, help_text="Business time left at last change."
    )
    warned_at = models.DateTimeField(null=True, blank=True, help_text="First warning.")
    breached_at = models.DateTimeField(null=True, blank=True)
    met_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["case", "metric"], name="uniq_timer_metric")]
        indexes = [
            # The sweep reads only timers whose warning or deadline has come: cost follows due rows.
            models.Index(fields=["warning_at"], condition=Q(state="running"), name="sla_warning_due"),
            models.Index(
                fields=["due_at"],
                condition=Q(state__in=["running", "paused"], breached_at__isnull=True),
                name="sla_breach_due",
            ),
            # /metrics: live timers at risk and live timers breached, by metric (each a small part
            # of all timers, so counting them reads only their own small index).
            models.Index(
                fields=["metric"],
                condition=Q(met_at__isnull=True, state__in=["running", "paused"], warned_at__isnull=False),
                name="sla_timer_warned",
            ),
            models.Index(
                fields=["metric"],
                condition=Q(met_at__isnull=True, state="breached"),
                name="sla_timer_breached",
            ),
            # Reports (reports.selectors.sla): stopped timers by when they stopped, with what the
            # percentiles and the attainment read (from the index alone); missed ones by due instant.
            models.Index(
                fields=["met_at"],
                include=["case", "metric", "state", "target_minutes", "remaining_seconds"],
                condition=Q(state__in=["met", "breached"], met_at__isnull=False),
                name="sla_timer_stopped",
            ),
            models.Index(
                fields=["breached_at"],
                include=["case", "metric"],
                condition=Q(state="breached"),
                name="sla_timer_breached_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.metric} {self.state}"
