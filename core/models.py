from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(models.Model):
    """The first result of a create call made with an ``Idempotency-Key`` header, kept for 24 hours."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    # SHA-256 of the first request's path and canonical body (core.idempotency.request_fingerprint);
    # empty for a key sent where no request is fingerprinted.
    request_fingerprint = models.CharField(max_length=64, blank=True, default="")
    object_id = models.BigIntegerField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "scope", "key"], name="uniq_idempotency_key")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Weekday(models.IntegerChoices):
    """Python's numbering (``date.weekday()``): Monday is 0."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ReferenceSeed(models.Model):
    """A reference-data row (``fixtures/reference/``) that ``bootstrap`` has offered to this database.

    Each row is offered once: whatever an operator does to it afterwards (edits, deletes) stands, and a
    release that ships a new reference row still gets it created on the next ``bootstrap``.
    """

    class Outcome(models.TextChoices):
        CREATED = "created", "Created"
        FOUND = "found", "Already there"  # e.g. loaded by loaddata before this ledger existed
        SKIPPED = "skipped", "Not created"  # it refers to a row since deleted, or collides with one

    key = models.CharField(max_length=200, unique=True, help_text="<app_label>.<model>:<primary key>")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    seeded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.key} ({self.outcome})"


class JobRun(models.Model):
    """When each scheduled job last started, succeeded and failed (written by the worker that ran
    it): a stalled beat, or a job that keeps failing, shows here and in /healthz?detail=1."""

    name = models.CharField(max_length=100, primary_key=True, help_text="The beat schedule entry's name.")
    task = models.CharField(max_length=200)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_failed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.name
