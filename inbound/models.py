"""The inbound mail log and the memory of automatic answers. Their tables are named for the app
that first held them (``db_table``), so that no row ever has to move."""

from __future__ import annotations

from django.db import models

from cases.models import Case


class InboundEmail(models.Model):
    """Every inbound message and what became of it (the log for refused and spoofed mail). Never the
    message body: what a refused sender wrote is not ours to keep."""

    class Outcome(models.TextChoices):
        OPENED = "opened", "Opened a case"
        COMMENTED = "commented", "Added as a case comment"
        DECIDED = "decided", "Decided an authorisation request"
        REFUSED = "refused", "Refused"

    sender = models.CharField(max_length=320)
    recipient = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.TextField(blank=True)
    source = models.CharField(
        max_length=40,
        blank=True,
        help_text="What it arrived through: json, mime, command, anymail:<provider>.",
    )
    authentication = models.CharField(
        max_length=500, blank=True, help_text="Why the sender counted as authenticated, or not."
    )
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    received_at = models.DateTimeField()

    class Meta:
        db_table = "notifications_inboundemail"
        ordering = ["-received_at"]
        # The retention job (oldest first) and /metrics (the last hour).
        indexes = [models.Index(fields=["received_at"], name="inbound_received")]

    def __str__(self) -> str:
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.sender} → {self.outcome}"


class InboundAutoReply(models.Model):
    """The last automatic answer to an address whose mail to the support address changed nothing
    (an unknown sender, one who may not act): at most one per INBOUND_AUTO_REPLY_INTERVAL per
    address, remembered in the database so a restart forgets nothing."""

    address = models.CharField(max_length=320, unique=True, help_text="Lower-cased.")
    last_sent_at = models.DateTimeField(db_index=True)  # the retention job, oldest first
    last_reason = models.CharField(max_length=60)
    sent_count = models.PositiveIntegerField(default=1)

    class Meta:
        db_table = "notifications_inboundautoreply"
        verbose_name = "inbound automatic answer"

    def __str__(self) -> str:
        return f"{self.address}: {self.last_reason} at {self.last_sent_at:%Y-%m-%d %H:%M}"
