"""Customers, partners and who may do what for a company.

A person is a ``User``. Customers and partner users belong to one organisation through a
``Membership`` (a company, or a partner's establishment) with a role and a validation status.
Support staff are Django staff (``is_staff``) in the "Support analysts" / "Support managers"
groups, never members.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from typing import Any, ClassVar

import holidays
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


class User(AbstractUser):
    """A person: a customer or partner user (through a membership) or support staff (``is_staff``)."""

    email = models.EmailField("email address", blank=True, db_index=True)
    language = models.CharField(
        max_length=8, blank=True, help_text="Preferred language; empty means the company's language."
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_support_manager(self) -> bool:
        return self.is_staff and (self.is_superuser or self.has_perm("accounts.manage_support"))


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"
    SPANISH = "es", "Español"


class PlanTier(models.TextChoices):
    ESSENTIAL = "essential", "Essential"
    SP_ESSENTIALS = "sp_essentials", "SP-ESSENTIALS"
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    SP_PREMIUM = "sp_premium", "SP-PREMIUM"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"
    SP_VIP = "sp_vip", "SP-VIP"


# The three columns of the SLA table: Essential/SP-ESSENTIALS; Bronze, Silver/SP-PREMIUM; Gold, Platinum/SP-VIP.
SLA_BAND_BY_TIER: dict[str, int] = {
    PlanTier.ESSENTIAL: 1,
    PlanTier.SP_ESSENTIALS: 1,
    PlanTier.BRONZE: 2,
    PlanTier.SILVER: 2,
    PlanTier.SP_PREMIUM: 2,
    PlanTier.GOLD: 3,
    PlanTier.PLATINUM: 3,
    PlanTier.SP_VIP: 3,
}


# Where only designated support users (and managers) may open cases or call support.
DSU_COUNTRIES = ("US",)


class Partner(models.Model):
    """A partner (VAR / reseller) parent company; its establishments implement client companies."""

    name = models.CharField(max_length=200, unique=True)

    def __str__(self) -> str:
        return self.name


class PartnerEstablishment(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="establishments")
    name = models.CharField(max_length=200)
    clients: models.ManyToManyField[Company, models.Model] = models.ManyToManyField(
        "Company", related_name="serving_establishments", blank=True
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="uniq_establishment_name")]

    def __str__(self) -> str:
        return f"{self.partner} — {self.name}"


# An ISO 3166-2 subdivision code: the country, a hyphen, one to three letters or digits.
SUBDIVISION_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,3}$"


@lru_cache(maxsize=64)
def holiday_subdivisions(country: str) -> frozenset[str]:
    """The ISO 3166-2 subdivisions of ``country`` whose public holidays the ``holidays`` package knows
    ("GB-ENG", "US-CA", "FR-57"); empty for a country it does not know or one without subdivisions."""
    try:
        codes = holidays.country_holidays(country).subdivisions
    except NotImplementedError:
        return frozenset()
    return frozenset(code for c in codes if re.fullmatch(SUBDIVISION_PATTERN, code := f"{country}-{c}"))


class Company(models.Model):
    """A customer organisation."""

    class CaseVisibility(models.TextChoices):
        COMPANY = "company", "Every member sees all the company's cases"
        OWN = "own", "Members see their own cases; DSUs and managers see all"

    name = models.CharField(max_length=200, unique=True)
    country = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, e.g. US, FR.")
    subdivision = models.CharField(
        max_length=6,
        blank=True,
        help_text="ISO 3166-2 region whose public holidays apply, e.g. GB-ENG, GB-SCT, US-CA; "
        "blank: the country's nationwide holidays only.",
    )
    time_zone = models.CharField(
        max_length=64, default="UTC", help_text="IANA name, e.g. America/Los_Angeles."
    )
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ENGLISH)
    plan_tier = models.CharField(max_length=20, choices=PlanTier.choices, default=PlanTier.ESSENTIAL)
    implementing_partner = models.ForeignKey(
        Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="implemented_companies"
    )
    case_visibility = models.CharField(
        max_length=10, choices=CaseVisibility.choices, default=CaseVisibility.COMPANY
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="company_country_iso2"),
            models.CheckConstraint(
                condition=Q(subdivision="") | Q(subdivision__regex=SUBDIVISION_PATTERN),
                name="company_subdivision_iso3166_2",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """A subdivision must be one of the company's country whose holidays are known (the SLA
        calendars count them)."""
        super().clean()
        self.subdivision = self.subdivision.strip().upper()
        if self.subdivision and self.subdivision not in holiday_subdivisions(self.country):
            known = sorted(holiday_subdivisions(self.country))
            hint = (
                f"one of {', '.join(known)}"
                if known
                else f"blank: no subdivisions are known for {self.country}"
            )
            raise ValidationError(
                {"subdivision": f"'{self.subdivision}' is not a subdivision of {self.country}: use {hint}."},
                code="invalid_subdivision",
            )

    @property
    def sla_band(self) -> int:
        return SLA_BAND_BY_TIER[self.plan_tier]

    @property
    def requires_dsu(self) -> bool:
        """In the United States only designated support users may open cases or call support."""
        return self.country in DSU_COUNTRIES


class CompanyEmailDomain(models.Model):
    """An e-mail domain the company owns: managers authorise requests from addresses on it."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="email_domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.domain

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.domain = self.domain.strip().lower()
        super().save(*args, **kwargs)


class Product(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=60, unique=True)
    is_active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class ProductInstance(models.Model):
    class Environment(models.TextChoices):
        PRODUCTION = "production", "Production"
        SANDBOX = "sandbox", "Sandbox"
        DEMO = "demo", "Demo / implementation"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="product_instances")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="instances")
    environment = models.CharField(max_length=12, choices=Environment.choices)
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "product", "environment", "name"], name="uniq_instance"
            )
        ]

    def __str__(self) -> str:
        label = f"{self.product} ({self.get_environment_display()})"
        return f"{label} {self.name}".strip()


class Membership(models.Model):
    """A user's place in one organisation: a customer company or a partner establishment."""

    class Role(models.TextChoices):
        MEMBER = "member", "Member"
        DSU = "dsu", "Designated support user"
        MANAGER = "manager", "Manager (company administrator)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending validation"
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    # The roles that see every case of their company and, under the DSU rule, may open cases.
    DSU_ROLES: ClassVar[tuple[str, ...]] = (Role.DSU, Role.MANAGER)

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    establishment = models.ForeignKey(
        PartnerEstablishment, null=True, blank=True, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(company__isnull=False) & Q(establishment__isnull=True))
                | (Q(company__isnull=True) & Q(establishment__isnull=False)),
                name="membership_one_organisation",
            )
        ]
        indexes = [models.Index(fields=["company", "role", "status"])]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company or self.establishment} ({self.role}, {self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def is_partner(self) -> bool:
        return self.establishment_id is not None

    @property
    def is_manager(self) -> bool:
        return self.role == self.Role.MANAGER

    @property
    def sees_all_company_cases(self) -> bool:
        return self.role in self.DSU_ROLES


class AuthorizationRequest(models.Model):
    """A change the company must authorise: a new DSU, a role change or a password reset."""

    class Kind(models.TextChoices):
        NEW_DSU = "new_dsu", "New designated support user"
        ROLE_CHANGE = "role_change", "Permission (role) change"
        PASSWORD_RESET = "password_reset", "Password reset"

    class Channel(models.TextChoices):
        API = "api", "API"
        CASE_COMMENT = "case_comment", "Case comment"
        EMAIL = "email", "Manager e-mail"
        ADMIN = "admin", "Support admin"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="authorization_requests")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    subject_user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="authorization_requests_about"
    )
    requested_role = models.CharField(max_length=10, choices=Membership.Role.choices, blank=True)
    requested_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="authorization_requests_made"
    )
    request_channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.API)
    reason = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="authorization_requests_decided"
    )
    decision_channel = models.CharField(max_length=20, choices=Channel.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["company", "status"]),
            models.Index(fields=["expires_at"], condition=Q(status="pending"), name="authreq_pending_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.subject_user} ({self.status})"


class AuditRecord(models.Model):
    """Immutable trail of account changes: who, when, what before and after, through which channel."""

    class Action(models.TextChoices):
        ROLE_CHANGED = "role_changed", "Role changed"
        DSU_GRANTED = "dsu_granted", "DSU granted"
        DSU_REMOVED = "dsu_removed", "DSU removed"
        USER_VALIDATED = "user_validated", "User validated"
        USER_DISABLED = "user_disabled", "User disabled"
        PASSWORD_RESET_AUTHORISED = "password_reset_authorised", "Password reset authorised"
        REQUEST_RAISED = "request_raised", "Authorisation request raised"
        REQUEST_APPROVED = "request_approved", "Authorisation request approved"
        REQUEST_REJECTED = "request_rejected", "Authorisation request rejected"
        REQUEST_EXPIRED = "request_expired", "Authorisation request expired"

    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_records"
    )
    subject_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    authorization_request = models.ForeignKey(
        AuthorizationRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_records"
    )
    action = models.CharField(max_length=40, choices=Action.choices)
    channel = models.CharField(max_length=20, choices=AuthorizationRequest.Channel.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[models.Manager[AuditRecord]]

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("manage_support", "Support manager: approves, overrides and reviews escalations")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Audit records are immutable.")
        super().save(*args, **kwargs)


def authorization_reply_token_new() -> str:
    # 160 bits, hexadecimal: some mail servers lower-case the local part of an address.
    return secrets.token_hex(20)


class AuthorizationReplyAddress(models.Model):
    """The address one manager answers one authorisation request at,
    ``authorization+<token>@INBOUND_EMAIL_DOMAIN``: an answer to it counts only from that manager."""

    token = models.CharField(
        max_length=40, unique=True, default=authorization_reply_token_new, editable=False
    )
    request = models.ForeignKey(AuthorizationRequest, on_delete=models.CASCADE, related_name="+")
    manager = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        db_table = "notifications_authorizationreplyaddress"  # where it was made; moved in the state only
        constraints = [
            models.UniqueConstraint(fields=["request", "manager"], name="one_reply_address_per_manager")
        ]

    def __str__(self) -> str:
        return f"Reply address of {self.manager} for request {self.request_id}"
