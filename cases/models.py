"""Cases, their state machine, comments, attachments, escalations and the immutable event log.

The status is a protected FSM field: it changes only through the ``@transition`` methods below,
which hold the state rules (source, target, who: support or customer) and set this row's own
derived fields. Services in ``cases/services`` lock the row, call them, save and write events.
"""

from __future__ import annotations

import functools
import secrets
from datetime import date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import available_timezones

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Company, Language, Product, ProductInstance, User
from cases.search.triggers import CASE_TRIGGERS, COMMENT_TRIGGERS, COMPANY_TRIGGERS, USER_TRIGGERS

VERIFY_RESOLUTION_AUTO_CLOSE_AFTER = timedelta(days=9)
# The description template beyond the problem summary, in its order (SPEC "Cases").
DESCRIPTION_TEMPLATE_FIELDS = (
    "error_message",
    "occurred_at",
    "users_affected",
    "replication_steps",
    "expected_result",
    "worked_before",
    "troubleshooting_tried",
)
REOPEN_WINDOW = timedelta(days=3)


def _new_reply_token() -> str:
    return secrets.token_urlsafe(18)


class CatalogEntry(models.Model):
    """A value from a list staff edit in the admin; inactive values are refused on new cases."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class CaseReason(CatalogEntry):
    pass


class ApplicationArea(CatalogEntry):
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: applies to every product."
    )


class OutOfScopeReason(CatalogEntry):
    referral = models.TextField(
        help_text="Where the customer is pointed: partner, professional services, help centre."
    )


class Priority(models.TextChoices):
    P1 = "P1", "P1 — critical"
    P2 = "P2", "P2 — high"
    P3 = "P3", "P3 — normal"


class BusinessImpactScope(models.TextChoices):
    INDIVIDUAL = "individual", "One user"
    GROUP = "group", "Several users or a department"
    ORGANISATION = "organisation", "The whole organisation"


class BusinessImpact(models.TextChoices):
    LOW = "low", "Low: an inconvenience, a workaround exists"
    MEDIUM = "medium", "Medium: a business function is impaired, no workaround"
    HIGH = "high", "High: a critical business function is stopped"


class PriorityRule(models.Model):
    """One cell of the priority matrix: environment × business impact scope × business impact → priority."""

    environment = models.CharField(max_length=12, choices=ProductInstance.Environment.choices)
    business_impact_scope = models.CharField(max_length=20, choices=BusinessImpactScope.choices)
    business_impact = models.CharField(max_length=10, choices=BusinessImpact.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["environment", "business_impact_scope", "business_impact"], name="uniq_priority_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.environment} / {self.business_impact_scope} / {self.business_impact} → {self.priority}"


class Queue(models.Model):
    """Where a case waits for an analyst; matched by product, language and region."""

    name = models.CharField(max_length=120, unique=True)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL)
    language = models.CharField(max_length=8, blank=True)
    countries = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated ISO codes; empty = all."
    )
    auto_assign = models.BooleanField(default=True)
    analysts: models.ManyToManyField[User, models.Model] = models.ManyToManyField(
        User, blank=True, related_name="queues", limit_choices_to={"is_staff": True}
    )

    def __str__(self) -> str:
        return self.name


class CaseStatus(models.TextChoices):
    # Translated labels: customers read them in refusals ("… while CS-000042 is 'Open'").
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    PENDING_RELEASE = "pending_release", _("Pending release")
    PENDING_ENGINEERING = "pending_engineering", _("Pending engineering / product management")
    PENDING_CUSTOMER = "pending_customer", _("Pending customer action")
    VERIFY_RESOLUTION = "verify_resolution", _("Verify resolution")
    CLOSED = "closed", _("Closed")


class WhoseMove(models.TextChoices):
    CUSTOMER_SUPPORT = "customer_support", "Customer support"
    SUPPORT_ENGINEERING = "support_engineering", "Support / engineering"
    CUSTOMER = "customer", "Customer"
    NOBODY = "nobody", "Nobody"


WHOSE_MOVE: dict[str, str] = {
    CaseStatus.OPEN: WhoseMove.CUSTOMER_SUPPORT,
    CaseStatus.IN_PROGRESS: WhoseMove.CUSTOMER_SUPPORT,
    CaseStatus.PENDING_RELEASE: WhoseMove.SUPPORT_ENGINEERING,
    CaseStatus.PENDING_ENGINEERING: WhoseMove.SUPPORT_ENGINEERING,
    CaseStatus.PENDING_CUSTOMER: WhoseMove.CUSTOMER,
    CaseStatus.VERIFY_RESOLUTION: WhoseMove.CUSTOMER,
    CaseStatus.CLOSED: WhoseMove.NOBODY,
}

SUPPORT_HOLDS = frozenset(
    {CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.PENDING_RELEASE, CaseStatus.PENDING_ENGINEERING}
)


# Who makes a move. django-fsm asks these when listing a user's available transitions.
def _by_support(case: models.Model, user: Any) -> bool:
    return bool(user.is_staff)


def _by_customer(case: models.Model, user: Any) -> bool:
    return not user.is_staff


def _by_customer_or_support_manager(case: models.Model, user: Any) -> bool:
    return not user.is_staff or bool(getattr(user, "is_support_manager", False))


def _by_system(case: models.Model, user: Any) -> bool:
    return False  # only the auto-close sweep calls it, with no user


class Case(ConcurrentTransitionMixin, models.Model):
    Status = CaseStatus

    # NULL only between the insert and the update that derives it from the primary key.
    number = models.CharField(max_length=20, unique=True, null=True, editable=False)  # noqa: DJ001
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="cases")
    product_instance = models.ForeignKey(ProductInstance, on_delete=models.PROTECT, related_name="cases")
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="opened_cases")
    on_behalf_of = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="cases_opened_for_me"
    )
    subject = models.CharField(max_length=200)
    # The description template, as structured fields.
    problem_summary = models.TextField()
    error_message = models.TextField(blank=True)
    occurred_at = models.DateTimeField(null=True, blank=True, help_text="Date and time of the issue.")
    users_affected = models.TextField(blank=True, help_text="How many users, who, where.")
    replication_steps = models.TextField(blank=True)
    expected_result = models.TextField(blank=True, help_text='"Expected A, got B".')
    worked_before = models.TextField(blank=True, help_text="When, under what conditions.")
    troubleshooting_tried = models.TextField(blank=True)

    reason = models.ForeignKey(CaseReason, on_delete=models.PROTECT, related_name="+")
    application_area = models.ForeignKey(ApplicationArea, on_delete=models.PROTECT, related_name="+")
    business_impact_scope = models.CharField(max_length=20, choices=BusinessImpactScope.choices)
    business_impact = models.CharField(max_length=10, choices=BusinessImpact.choices)
    priority = models.CharField(max_length=2, choices=Priority.choices)
    priority_overridden = models.BooleanField(default=False)

    status = FSMField(max_length=24, choices=CaseStatus.choices, default=CaseStatus.OPEN, protected=True)
    status_changed_at = models.DateTimeField()
    assignee = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases"
    )
    queue = models.ForeignKey(Queue, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    escalation_level = models.PositiveSmallIntegerField(default=0)
    tentative_release_date = models.DateField(null=True, blank=True)
    resolution = models.TextField(blank=True)
    out_of_scope_reason = models.ForeignKey(
        OutOfScopeReason, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    auto_close_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True)
    follow_up_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups"
    )
    last_customer_activity_at = models.DateTimeField(null=True, blank=True)
    # Set by case_create, cleared by case_route in the same transaction as its result: a case whose
    # routing message was lost stays marked, and the routing sweep on beat routes it.
    routing_pending = models.BooleanField(default=False, editable=False)
    reply_token = models.CharField(max_length=32, unique=True, default=_new_reply_token, editable=False)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    objects: ClassVar[models.Manager[Case]]

    class Meta:
        indexes = [
            models.Index(fields=["company", "-created_at", "-id"], name="case_company_recent"),
            models.Index(fields=["status", "-created_at"], name="case_status_recent"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["-created_at", "-id"], name="case_recent"),
            models.Index(fields=["-updated_at", "-id"], name="case_recently_updated"),
            models.Index(
                fields=["auto_close_at"], condition=Q(status="verify_resolution"), name="case_auto_close_due"
            ),
            models.Index(
                fields=["created_at"], condition=Q(routing_pending=True), name="case_routing_pending"
            ),
            # Reports (reports.selectors): the open cases, few beside the closed ones, with what the
            # backlog and the analyst load group and filter by, read from the index alone.
            models.Index(
                fields=["status", "created_at"],
                include=["company", "product_instance", "priority", "assignee"],
                condition=~Q(status="closed"),
                name="case_open_report",
            ),
        ]
        permissions = [("reopen_after_window", "May reopen a closed case after the 3-day window")]
        triggers = CASE_TRIGGERS  # the search entry (cases/search/triggers.py)

    def __str__(self) -> str:
        return f"{self.number or 'CS-?'} {self.subject}"

    @property
    def state_fields(self) -> tuple[FSMField, ...]:
        """The FSM fields ConcurrentTransitionMixin records on every instantiation, named: django-fsm
        finds them by testing every field of the model each time, for every case of a list page."""
        return (self._meta.get_field("status"),)  # type: ignore[return-value]

    # --- cheap derived values ---------------------------------------------------------------------

    @property
    def whose_move(self) -> str:
        return WHOSE_MOVE[self.status]

    @property
    def environment(self) -> str:
        return self.product_instance.environment

    @property
    def reopen_until(self) -> datetime | None:
        if self.status != CaseStatus.CLOSED or self.closed_at is None:
            return None
        return self.closed_at + REOPEN_WINDOW

    # --- transitions: state rules and this row's own fields only; no queries, no I/O ---------------

    def _enter(self, at: datetime) -> None:
        self.status_changed_at = at
        self.updated_at = at

    @transition(field=status, source=CaseStatus.OPEN, target=CaseStatus.IN_PROGRESS, permission=_by_support)
    def start(self, *, at: datetime) -> None:
        self._enter(at)

    @transition(
        field=status, source=CaseStatus.IN_PROGRESS, target=CaseStatus.PENDING_RELEASE, permission=_by_support
    )
    def await_release(self, *, at: datetime, tentative_release_date: date) -> None:
        self.tentative_release_date = tentative_release_date
        self._enter(at)

    @transition(
        field=status,
        source=CaseStatus.IN_PROGRESS,
        target=CaseStatus.PENDING_ENGINEERING,
        permission=_by_support,
    )
    def engage_engineering(self, *, at: datetime) -> None:
        self._enter(at)

    @transition(
        field=status,
        source=CaseStatus.IN_PROGRESS,
        target=CaseStatus.PENDING_CUSTOMER,
        permission=_by_support,
    )
    def request_customer_action(self, *, at: datetime) -> None:
        self._enter(at)

    @transition(
        field=status,
        source=[CaseStatus.PENDING_RELEASE, CaseStatus.PENDING_ENGINEERING],
        target=CaseStatus.IN_PROGRESS,
        permission=_by_support,
    )
    def resume(self, *, at: datetime) -> None:
        self._enter(at)

    @transition(
        field=status,
        source=[CaseStatus.IN_PROGRESS, CaseStatus.PENDING_RELEASE, CaseStatus.PENDING_ENGINEERING],
        target=CaseStatus.VERIFY_RESOLUTION,
        permission=_by_support,
    )
    def propose_resolution(self, *, at: datetime, resolution: str) -> None:
        self.resolution = resolution
        self.auto_close_at = at + VERIFY_RESOLUTION_AUTO_CLOSE_AFTER
        self._enter(at)

    @transition(
        field=status,
        source=[CaseStatus.OPEN, CaseStatus.IN_PROGRESS],
        target=CaseStatus.CLOSED,
        permission=_by_support,
    )
    def close_out_of_scope(self, *, at: datetime, reason: OutOfScopeReason) -> None:
        self.out_of_scope_reason = reason
        self.closed_at = at
        self._enter(at)

    @transition(
        field=status,
        source=CaseStatus.PENDING_CUSTOMER,
        target=CaseStatus.IN_PROGRESS,
        permission=_by_customer,
    )
    def respond(self, *, at: datetime) -> None:
        self.last_customer_activity_at = at
        self._enter(at)

    @transition(
        field=status, source=CaseStatus.VERIFY_RESOLUTION, target=CaseStatus.CLOSED, permission=_by_customer
    )
    def confirm_resolution(self, *, at: datetime) -> None:
        self.closed_at = at
        self.auto_close_at = None
        self.last_customer_activity_at = at
        self._enter(at)

    @transition(
        field=status,
        source=CaseStatus.VERIFY_RESOLUTION,
        target=CaseStatus.IN_PROGRESS,
        permission=_by_customer,
    )
    def reject_resolution(self, *, at: datetime) -> None:
        self.auto_close_at = None
        self.last_customer_activity_at = at
        self._enter(at)

    @transition(
        field=status, source=CaseStatus.VERIFY_RESOLUTION, target=CaseStatus.CLOSED, permission=_by_system
    )
    def auto_close(self, *, at: datetime) -> None:
        self.closed_at = at
        self.auto_close_at = None
        self._enter(at)

    @transition(
        field=status,
        source=CaseStatus.CLOSED,
        target=CaseStatus.IN_PROGRESS,
        permission=_by_customer_or_support_manager,
    )
    def reopen(self, *, at: datetime) -> None:
        self.closed_at = None
        self.out_of_scope_reason = None
        self._enter(at)


class CaseEvent(models.Model):
    """Immutable history of a case: who (a user, or the system when empty), when, what."""

    class Type(models.TextChoices):
        CREATED = "created", "Created"
        TRANSITION = "transition", "Status changed"
        REOPENED = "reopened", "Reopened"
        AUTO_CLOSED = "auto_closed", "Closed automatically"
        ASSIGNED = "assigned", "Assigned"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        COMMENTED = "commented", "Commented"
        ATTACHMENT_ADDED = "attachment_added", "Attachment added"
        ESCALATION_REQUESTED = "escalation_requested", "Escalation requested"
        ESCALATION_ACCEPTED = "escalation_accepted", "Escalation accepted"
        ESCALATION_DECLINED = "escalation_declined", "Escalation declined"
        SLA_WARNING = "sla_warning", "SLA warning"
        SLA_BREACHED = "sla_breached", "SLA breached"
        SLA_RECOMPUTED = "sla_recomputed", "SLA targets recomputed"
        SLA_RESTARTED = "sla_restarted", "SLA timer restarted"
        AUTO_CLOSE_REMINDER = "auto_close_reminder", "Auto-close reminder sent"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=30, choices=Type.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    transition = models.CharField(max_length=40, blank=True)
    from_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=CaseStatus.choices, blank=True)
    note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    is_internal = models.BooleanField(default=False, help_text="Hidden from customers.")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="caseevent_case_time"),
            # Reports (reports.selectors.cases): closings by time (the reopen rate), a case's closings
            # (the one a reopening follows), reopenings by time.
            models.Index(
                fields=["created_at"],
                include=["case"],
                condition=Q(to_status="closed"),
                name="caseevent_closing_time",
            ),
            models.Index(
                fields=["case", "created_at"], condition=Q(to_status="closed"), name="caseevent_closing_case"
            ),
            models.Index(
                fields=["created_at"],
                include=["case"],
                condition=Q(from_status="closed"),
                name="caseevent_reopen_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.from_status}→{self.to_status}".strip()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Case events are immutable.")
        super().save(*args, **kwargs)


class CaseFollower(models.Model):
    """Someone on the customer side who asked for a case's notices besides its opener and contact:
    a DSU or manager of its company (outside the US, any active member), or a partner user whose
    establishment serves it. Who may follow: ``cases.selectors.case_follow_check``; rows whose user
    lost that right stay, and are skipped when notices are written (``case_follower_entitled``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followed_cases")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "user"], name="uniq_case_follower")]

    def __str__(self) -> str:
        return f"{self.user} follows {self.case_id}"


class Comment(models.Model):
    class Source(models.TextChoices):
        API = "api", "API"
        EMAIL = "email", "E-mail"
        ADMIN = "admin", "Admin"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, on_delete=models.PROTECT, related_name="case_comments")
    body = models.TextField()
    is_internal = models.BooleanField(default=False)
    is_escalation_request = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["case", "created_at", "id"], name="comment_case_time"),
            # Reports (analyst load): public comments by time, with their author and case.
            models.Index(
                fields=["created_at"],
                include=["author", "case"],
                condition=Q(is_internal=False),
                name="comment_public_time",
            ),
        ]
        triggers = COMMENT_TRIGGERS  # the search entry (cases/search/triggers.py)

    def __str__(self) -> str:
        return f"Comment #{self.pk} on {self.case_id}"


def _attachment_path(instance: Attachment, filename: str) -> str:
    return f"cases/{instance.case_id}/{secrets.token_hex(8)}/{filename}"


class Attachment(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_internal(self) -> bool:
        return self.comment is not None and self.comment.is_internal


class EscalationRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations")
    comment = models.OneToOneField(Comment, on_delete=models.PROTECT, related_name="escalation")
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="pending"), name="one_pending_escalation"
            )
        ]
        indexes = [models.Index(fields=["created_at"], name="escalation_time")]  # reports: requests by week

    def __str__(self) -> str:
        return f"Escalation of {self.case_id} ({self.status})"


# Transitions a canned response may carry: the rendered text is their required input.
MACRO_TRANSITIONS: dict[str, str] = {
    "request_customer_action": "message",
    "propose_resolution": "resolution",
}


class CannedResponse(models.Model):
    """A staff macro: a reply in one language with placeholders, optionally moving the case on."""

    class Transition(models.TextChoices):
        NONE = "", "No status change"
        REQUEST_CUSTOMER_ACTION = "request_customer_action", "Request customer action (pending customer)"
        PROPOSE_RESOLUTION = "propose_resolution", "Propose resolution (verify resolution)"

    title = models.CharField(max_length=120)
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    body = models.TextField(help_text="Placeholders: {customer_name}, {case_number}, {case_url}.")
    transition = models.CharField(
        max_length=40,
        choices=Transition.choices,
        blank=True,
        help_text="Sent with the reply: the rendered text becomes the transition's message or resolution.",
    )
    # Besides the reply, a macro may set the priority and the assignee when it is sent (each shown
    # ticked in the composer, so the analyst sees and may untick it).
    priority = models.CharField(
        max_length=2, choices=Priority.choices, blank=True, help_text="Empty: the priority is left as it is."
    )
    assign_to_sender = models.BooleanField(
        default=False, help_text="Assign the case to the analyst who sends the macro."
    )
    assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"is_staff": True, "is_active": True},
        help_text="Assign the case to this analyst (empty: the assignee is left as it is).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["language", "position", "title"]
        constraints = [
            models.UniqueConstraint(fields=["language", "title"], name="uniq_canned_response"),
            models.CheckConstraint(
                condition=Q(assign_to_sender=False) | Q(assignee__isnull=True),
                name="canned_response_one_assignee",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


def time_zone_valid(name: str) -> bool:
    """Whether ``name`` is an IANA zone this machine knows (``zoneinfo``); "" is not."""
    return name in _zones()


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def time_zone_check(value: str) -> None:
    if not time_zone_valid(value):
        raise ValidationError(
            _("'%(value)s' is not an IANA time zone.") % {"value": value}, code="invalid_time_zone"
        )


class AnalystProfile(models.Model):
    """Whether an analyst takes routed cases now, when routing last gave them one, how they want
    their notices (``cases.notices``): by e-mail at once, in a digest every N minutes, or only in the
    admin inbox, and their time zone: the workspace shows times in it and their e-mails are dated in
    it (empty: the browser's in the workspace, UTC in e-mails; their language is ``User.language``)."""

    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"

    class EmailNotices(models.TextChoices):
        IMMEDIATE = "immediate", "One e-mail per notice, at once"
        DIGEST = "digest", "A digest every few minutes"
        OFF = "off", "No e-mail (the admin inbox only)"

    class DigestMinutes(models.IntegerChoices):
        FIFTEEN = 15, "Every 15 minutes"
        THIRTY = 30, "Every 30 minutes"
        SIXTY = 60, "Every hour"

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="analyst_profile", limit_choices_to={"is_staff": True}
    )
    availability = models.CharField(max_length=10, choices=Availability.choices, default=Availability.AWAY)
    availability_changed_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(
        null=True, blank=True, help_text="Last case routing gave this analyst (empty: never)."
    )
    email_notices = models.CharField(
        max_length=10, choices=EmailNotices.choices, default=EmailNotices.IMMEDIATE
    )
    digest_minutes = models.PositiveSmallIntegerField(
        choices=DigestMinutes.choices, default=DigestMinutes.THIRTY
    )
    time_zone = models.CharField(
        max_length=64,
        blank=True,
        validators=[time_zone_check],
        help_text="IANA name, e.g. Europe/Paris; empty: the browser's in the workspace, UTC in e-mails.",
    )

    class Meta:
        indexes = [models.Index(fields=["availability"], name="analyst_availability")]

    def __str__(self) -> str:
        return f"{self.user} ({self.availability})"

    @property
    def is_available(self) -> bool:
        return self.availability == self.Availability.AVAILABLE


class CaseSearchEntry(models.Model):
    """One searchable text of a case: the case's own (``kind`` "case": number, subject, company and
    people's names, description fields, resolution) or one comment's ("comment", "email" for a reply
    by e-mail, "note" for an internal note, the only kind with ``is_internal``).

    Written only by the database (PostgreSQL triggers, ``cases/search/triggers.py``), never by the
    application; empty on SQLite, where search falls back to a substring match. ``document`` is in
    the company's language (``language``: its text search configuration, ``casedesk_en``/``_fr``/
    ``_es``, each with ``unaccent``); ``label`` (case entries only) is matched by trigrams.
    Migration ``cases.0005_case_search`` creates its GIN indexes: public texts by company
    (``btree_gin``), internal notes apart, so a customer's search never reads an internal note's
    index entries; and the trigram index on labels.
    """

    class Kind(models.TextChoices):
        CASE = "case", "Case"
        COMMENT = "comment", "Comment"
        EMAIL = "email", "E-mail reply"
        NOTE = "note", "Internal note"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    comment = models.OneToOneField(Comment, null=True, on_delete=models.CASCADE, related_name="+")
    company = models.ForeignKey(
        Company, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    is_internal = models.BooleanField(default=False)
    language = models.CharField(max_length=8)
    document = SearchVectorField()
    label = models.TextField(blank=True)
    at = models.DateTimeField(help_text="When the text was written: newest matches are ranked first.")

    objects: ClassVar[models.Manager[CaseSearchEntry]]

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case"], condition=Q(comment__isnull=True), name="uniq_case_search_entry"
            )
        ]
        indexes = [
            # The newest matches first: within a company's public texts (customers), over every public
            # text, over internal notes (staff); a customer's query implies only the first two.
            models.Index(
                "company", models.F("at").desc(), condition=Q(is_internal=False), name="search_public_recent"
            ),
            models.Index(models.F("at").desc(), condition=Q(is_internal=False), name="search_public_time"),
            models.Index(models.F("at").desc(), condition=Q(is_internal=True), name="search_internal_time"),
            models.Index(fields=["case"], name="search_case"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} text of case {self.case_id}"


class CompanySearchTriggers(Company):
    """Company, for its search triggers (django-pgtrigger declares triggers on a model of this app)."""

    class Meta:
        proxy = True
        triggers = COMPANY_TRIGGERS


class UserSearchTriggers(User):
    """User, for its search triggers (a name change rewrites the labels of the cases it opened)."""

    class Meta:
        proxy = True
        triggers = USER_TRIGGERS


class AgentNotice(models.Model):
    """What a staff member was told about a case event (``cases.notices``): a line of their admin
    inbox, unread until they open the case. Written once per event and recipient; its e-mail is an
    outbox row written with it, or waits for their digest (``email_digest_pending``)."""

    class Kind(models.TextChoices):
        CUSTOMER_REPLY = "customer_reply", "Customer reply"
        CUSTOMER_ATTACHMENT = "customer_attachment", "Customer uploaded a file"
        RESOLUTION_REJECTED = "resolution_rejected", "Resolution rejected"
        REOPENED = "reopened", "Case reopened"
        ESCALATION_REQUESTED = "escalation_requested", "Escalation requested"
        ASSIGNED = "assigned", "Assigned to you"
        SLA_WARNING = "sla_warning", "SLA target due soon"
        SLA_BREACHED = "sla_breached", "SLA target missed"
        MENTIONED = "mentioned", "Mentioned in a note"

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="agent_notices")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="agent_notices")
    event = models.ForeignKey(CaseEvent, on_delete=models.CASCADE, related_name="agent_notices")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    excerpt = models.CharField(max_length=300, blank=True, help_text="The start of what was written.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    email_digest_pending = models.BooleanField(
        default=False, help_text="Waiting for the recipient's next digest e-mail."
    )

    class Meta:
        verbose_name = "inbox notice"
        verbose_name_plural = "inbox"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient"], name="one_agent_notice_per_event")
        ]
        indexes = [
            # The inbox: a recipient's notices, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="agent_notice_inbox"),
            # The unread count in the admin header (every admin page) and marking a case read.
            models.Index(
                fields=["recipient", "case"], condition=Q(read_at__isnull=True), name="agent_notice_unread"
            ),
            # The digest sweep: only rows still waiting.
            models.Index(
                fields=["created_at"], condition=Q(email_digest_pending=True), name="agent_notice_digest_due"
            ),
        ]

    def __str__(self) -> str:
        # Own columns only: the admin labels every row's checkbox with it.
        return f"{self.get_kind_display()} on case #{self.case_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class SavedView(models.Model):
    """A named case list: the changelist's query string (queue, filters, search, ordering), kept by
    an analyst for themself or shared with the team. Shown beside the built-in queues."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=1000, blank=True, help_text="The case list's query string.")
    is_shared = models.BooleanField(default=False, help_text="Every analyst sees it.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="uniq_saved_view_name")]
        indexes = [models.Index(fields=["is_shared"], condition=Q(is_shared=True), name="saved_view_shared")]

    def __str__(self) -> str:
        return self.name


def survey_token_new() -> str:
    return secrets.token_urlsafe(24)


class SatisfactionSurvey(models.Model):
    class Rating(models.TextChoices):
        GOOD = "good", "Good"
        BAD = "bad", "Bad"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="surveys")
    respondent = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    token = models.CharField(max_length=64, unique=True, default=survey_token_new, editable=False)
    rating = models.CharField(max_length=4, choices=Rating.choices, blank=True)
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        db_table = "notifications_satisfactionsurvey"  # where it was made; moved in the state only
        constraints = [models.UniqueConstraint(fields=["case", "created_at"], name="one_survey_per_closing")]
        indexes = [
            # Reports (satisfaction): answers by when they came, surveys by when they were sent.
            models.Index(
                fields=["answered_at"],
                include=["case", "rating"],
                condition=Q(answered_at__isnull=False),
                name="survey_answered_time",
            ),
            models.Index(fields=["created_at"], include=["case", "rating"], name="survey_sent_time"),
        ]

    def __str__(self) -> str:
        return f"Survey {self.case_id}: {self.rating or 'unanswered'}"
