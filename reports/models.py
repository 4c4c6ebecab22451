"""The reports read other apps' tables; their own are summaries of complete weeks, counted from those."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Dashboard(models.Model):
    """No table (``managed = False``): the admin's entry for the support managers' reports dashboard,
    so it is listed on the admin index (Reports › Dashboard) for those who may open it."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "dashboard"
        verbose_name_plural = "dashboard"

    def __str__(self) -> str:
        return "Reports dashboard"


class SummaryWeek(models.Model):
    """A complete ISO week (UTC) whose SLA attainment, reopenings, replies and response times are read
    from ``SlaAttainmentWeek``, ``ReopenSummaryWeek``, ``ReplySummaryWeek`` and ``DurationSummaryWeek``
    instead of the raw rows: written with those rows, in the same transaction, by ``reports.services``."""

    week = models.DateField(unique=True, help_text="The Monday that starts the week.")
    refreshed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the week's rows were last counted from the timers; empty: never.",
    )

    class Meta:
        indexes = [models.Index(fields=["refreshed_at"], name="summary_week_stalest")]

    def __str__(self) -> str:
        return f"week of {self.week}"


class SlaAttainmentWeek(models.Model):
    """Timers of one metric decided (met, or missed) in one complete ISO week, for one plan tier and
    priority, as they were when the week was last counted (``SummaryWeek.refreshed_at``)."""

    week = models.DateField()
    tier = models.CharField(max_length=20)
    priority = models.CharField(max_length=2)
    metric = models.CharField(max_length=20)
    met = models.PositiveIntegerField()
    breached = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["week", "tier", "priority", "metric"], name="uniq_sla_attainment_week"
            )
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.tier} {self.priority} {self.metric}: {self.met}/{self.met + self.breached}"


class ReopenSummaryWeek(models.Model):
    """Closings in one complete ISO week of the cases of one priority, and how many of them had been
    reopened when the week was last counted (``SummaryWeek.refreshed_at``)."""

    week = models.DateField()
    priority = models.CharField(max_length=2)
    closed = models.PositiveIntegerField()
    reopened = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["week", "priority"], name="uniq_reopen_summary_week")]

    def __str__(self) -> str:
        return f"{self.week} {self.priority}: {self.reopened}/{self.closed} reopened"


class ReplySummaryWeek(models.Model):
    """Public replies by one support user in one complete ISO week on the cases of one priority, as
    counted at ``SummaryWeek.refreshed_at`` (the analyst load's replies)."""

    week = models.DateField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    priority = models.CharField(max_length=2)
    replies = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "author", "priority"], name="uniq_reply_summary_week")
        ]

    def __str__(self) -> str:
        return f"{self.week} user {self.author_id} {self.priority}: {self.replies} replies"


class DurationSummaryWeek(models.Model):
    """The business seconds each timer of one metric ran, for the timers that stopped in one complete
    ISO week on the cases of one priority (as counted at ``SummaryWeek.refreshed_at``): every value,
    sorted ascending, so the response-times report takes exact percentiles over several weeks without
    reading the timers (``reports.selectors.aggregates.percentile_cont_runs``).

    ``seconds`` packs them as little-endian signed 32-bit integers (``durations_pack``): a week holds
    nearly as many distinct durations as timers, so nothing smaller is exact, and a binary column is
    read as a block of bytes where a list of numbers is parsed value by value, on PostgreSQL and
    SQLite alike."""

    week = models.DateField()
    metric = models.CharField(max_length=20)
    priority = models.CharField(max_length=2)
    count = models.PositiveIntegerField()
    seconds = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["week", "metric", "priority"], name="uniq_duration_summary_week")
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.metric} {self.priority}: {self.count} durations"
