"""Cases, their state machine, comments, attachments, escalations and the immutable event log.

The status is a protected FSM field: it changes only through the ``@transition`` methods below,
which hold the state rules (source, target, who: support or customer) and set this row's own
derived fields. Services in ``cases/services`` lock the row, call them, save and write events.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from accounts.models import Company, Language, Product, ProductInstance, User

VERIFY_RESOLUTION_AUTO_CLOSE_AFTER = timedelta(days=9)
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
        ]
        permissions = [("reopen_after_window", "May reopen a closed case after the 3-day window")]

    def __str__(self) -> str:
        return f"{self.number or 'CS-?'} {self.subject}"

    @property
    def state_fields(self) -> tuple[FSMField, ...]:
        """The FSM fields ConcurrentTransitionMixin records on every instantiation, named: django-fsm
        finds them by testing every field of the model each time (~15 µs a case, 25 a list page)."""
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
        indexes = [models.Index(fields=["case", "created_at", "id"], name="caseevent_case_time")]

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
        indexes = [models.Index(fields=["case", "created_at", "id"], name="comment_case_time")]

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
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["language", "position", "title"]
        constraints = [models.UniqueConstraint(fields=["language", "title"], name="uniq_canned_response")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class AnalystProfile(models.Model):
    """Whether an analyst takes routed cases now, and when routing last gave them one."""

    class Availability(models.TextChoices):
        AVAILABLE = "available", "Available"
        AWAY = "away", "Away"

    user = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="analyst_profile", limit_choices_to={"is_staff": True}
    )
    availability = models.CharField(max_length=10, choices=Availability.choices, default=Availability.AWAY)
    availability_changed_at = models.DateTimeField(null=True, blank=True)
    last_assigned_at = models.DateTimeField(
        null=True, blank=True, help_text="Last case routing gave this analyst (empty: never)."
    )

    class Meta:
        indexes = [models.Index(fields=["availability"], name="analyst_availability")]

    def __str__(self) -> str:
        return f"{self.user} ({self.availability})"

    @property
    def is_available(self) -> bool:
        return self.availability == self.Availability.AVAILABLE
