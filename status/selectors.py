"""Reads for the status page, the feeds, the calendars and the support directory.

Current status per product, by precedence (the worst wins):
``outage`` (an open incident with outage impact) > ``under_maintenance`` (a window is running:
start inclusive, end exclusive) > ``degraded`` (an open degraded incident) > ``operational``.
An outage during maintenance is still news; planned maintenance explains degraded service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Product, User
from accounts.selectors import ActingRefusal, acting_for_company_refusal, membership_for
from core.errors import NotFound, ValidationFailed
from status.directory import SupportRegion, region_for_country
from status.models import Incident, IncidentUpdate, MaintenanceWindow
from status.recurrence import Occurrence, UnknownTimeZone, next_occurrences, occurrences_between, zone_get

# The calendar feeds cover the past week (so a just-finished window does not vanish) and ~3 months ahead.
CALENDAR_PAST = timedelta(days=7)
CALENDAR_AHEAD = timedelta(days=91)
FEED_LIMIT = 50


class ProductStatus:
    OPERATIONAL = "operational"
    UNDER_MAINTENANCE = "under_maintenance"
    DEGRADED = "degraded"
    OUTAGE = "outage"

    CHOICES = [OPERATIONAL, UNDER_MAINTENANCE, DEGRADED, OUTAGE]


@dataclass(frozen=True, slots=True)
class WindowOccurrence:
    window: MaintenanceWindow
    start: datetime
    end: datetime

    @property
    def uid(self) -> str:
        """Stable per occurrence: the window and, for weekly windows, its local start date."""
        if self.window.kind == MaintenanceWindow.Kind.WEEKLY:
            local_date = self.start.astimezone(zone_get(self.window.time_zone)).date()
            return f"maintenance-{self.window.pk}-{local_date:%Y%m%d}@casedesk"
        return f"maintenance-{self.window.pk}@casedesk"


@dataclass(slots=True)
class ProductStatusSummary:
    product: Product
    status: str
    incidents: list[Incident] = field(default_factory=list)
    current_maintenance: WindowOccurrence | None = None
    upcoming_maintenance: list[WindowOccurrence] = field(default_factory=list)


def time_zone_parse(name: str) -> ZoneInfo:
    try:
        return zone_get(name)
    except UnknownTimeZone as exc:
        raise ValidationFailed(
            _("Unknown time zone %(name)s: use an IANA name such as Europe/Paris.") % {"name": repr(name)},
            code="invalid_time_zone",
            extra={"field": "tz"},
        ) from exc


def _wrap(window: MaintenanceWindow, runs: list[Occurrence]) -> list[WindowOccurrence]:
    return [WindowOccurrence(window=window, start=run.start, end=run.end) for run in runs]


def window_occurrences_between(
    *, window: MaintenanceWindow, start: datetime, end: datetime
) -> list[WindowOccurrence]:
    """Runs of ``window`` overlapping ``[start, end)``."""
    if window.kind == MaintenanceWindow.Kind.WEEKLY:
        return _wrap(window, occurrences_between(window.weekly_rule, start, end))
    assert window.starts_at is not None and window.ends_at is not None
    if window.starts_at < end and window.ends_at > start:
        return [WindowOccurrence(window=window, start=window.starts_at, end=window.ends_at)]
    return []


def window_occurrences_next(
    *, windows: list[MaintenanceWindow], now: datetime, count: int
) -> list[WindowOccurrence]:
    """The next ``count`` runs of ``windows`` that end after ``now`` (one in progress first), by start."""
    found: list[WindowOccurrence] = []
    for window in windows:
        if window.kind == MaintenanceWindow.Kind.WEEKLY:
            found += _wrap(window, next_occurrences(window.weekly_rule, now, count))
        elif window.ends_at is not None and window.ends_at > now:
            assert window.starts_at is not None
            found.append(WindowOccurrence(window=window, start=window.starts_at, end=window.ends_at))
    found.sort(key=lambda run: (run.start, run.window.pk))
    return found[:count]


def product_status_compute(*, incidents: list[Incident], running: WindowOccurrence | None) -> str:
    """The precedence documented at the top of this module."""
    impacts = {incident.impact for incident in incidents if incident.is_open}
    if Incident.Impact.OUTAGE in impacts:
        return ProductStatus.OUTAGE
    if running is not None:
        return ProductStatus.UNDER_MAINTENANCE
    if Incident.Impact.DEGRADED in impacts:
        return ProductStatus.DEGRADED
    return ProductStatus.OPERATIONAL


def _products_with_status_data() -> QuerySet[Product]:
    """Active products with active windows and open incidents (updates newest first): four queries."""
    updates = IncidentUpdate.objects.order_by("-created_at", "-id")
    return (
        Product.objects.filter(is_active=True)
        .order_by("name")
        .prefetch_related(
            Prefetch(
                "maintenance_windows",
                queryset=MaintenanceWindow.objects.filter(is_active=True).order_by("id"),
                to_attr="active_windows",
            ),
            Prefetch(
                "incidents",
                queryset=Incident.objects.filter(resolved_at__isnull=True)
                .order_by("-started_at", "-id")
                .prefetch_related(Prefetch("updates", queryset=updates, to_attr="update_list")),
                to_attr="open_incidents",
            ),
        )
    )


def product_status_list(*, now: datetime | None = None, count: int = 5) -> list[ProductStatusSummary]:
    """Every active product's current status, open incidents and next ``count`` maintenance runs."""
    now = now or timezone.now()
    summaries = []
    for product in _products_with_status_data():
        windows: list[MaintenanceWindow] = product.active_windows  # type: ignore[attr-defined]
        incidents: list[Incident] = product.open_incidents  # type: ignore[attr-defined]
        upcoming = window_occurrences_next(windows=windows, now=now, count=count)
        running = next((run for run in upcoming if run.start <= now < run.end), None)
        summaries.append(
            ProductStatusSummary(
                product=product,
                status=product_status_compute(incidents=incidents, running=running),
                incidents=incidents,
                current_maintenance=running,
                upcoming_maintenance=upcoming,
            )
        )
    return summaries


def product_status_get(*, product: Product, now: datetime | None = None) -> str:
    """One product's current status (two queries): for callers that need only the word."""
    now = now or timezone.now()
    windows = list(MaintenanceWindow.objects.filter(product=product, is_active=True))
    running = next(
        (
            run
            for window in windows
            for run in window_occurrences_between(
                window=window, start=now, end=now + timedelta(microseconds=1)
            )
        ),
        None,
    )
    incidents = list(Incident.objects.filter(product=product, resolved_at__isnull=True))
    return product_status_compute(incidents=incidents, running=running)


def incident_list_open(*, product: Product | None = None) -> QuerySet[Incident]:
    """Open incidents, newest first, with their product and updates (newest first) preloaded."""
    incidents = (
        Incident.objects.filter(resolved_at__isnull=True)
        .select_related("product")
        .prefetch_related(
            Prefetch(
                "updates",
                queryset=IncidentUpdate.objects.order_by("-created_at", "-id"),
                to_attr="update_list",
            )
        )
        .order_by("-started_at", "-id")
    )
    return incidents if product is None else incidents.filter(product=product)


# --- Feeds and calendars ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str
    anchor: str
    title: str
    description: str
    published: datetime
    product: Product


def status_feed_entries(*, limit: int = FEED_LIMIT) -> list[FeedEntry]:
    """The newest incident updates and maintenance windows of active products, newest first."""
    windows = (
        MaintenanceWindow.objects.filter(is_active=True, product__is_active=True)
        .select_related("product")
        .order_by("-created_at", "-id")[:limit]
    )
    updates = (
        IncidentUpdate.objects.filter(incident__product__is_active=True)
        .select_related("incident__product")
        .order_by("-created_at", "-id")[:limit]
    )
    entries = [
        FeedEntry(
            guid=f"urn:casedesk:status:maintenance-window:{window.pk}",
            anchor=f"maintenance-{window.pk}",
            title=f"{window.product.name}: scheduled maintenance — {window.title}",
            description=f"{window.product.name} may be offline {window.schedule_text}. {window.description}".strip(),
            published=window.created_at,
            product=window.product,
        )
        for window in windows
    ]
    entries += [
        FeedEntry(
            guid=f"urn:casedesk:status:incident-update:{update.pk}",
            anchor=f"incident-{update.incident_id}",
            title=f"{update.incident.product.name}: {update.incident.title} — {update.get_status_display()}",
            description=update.message,
            published=update.created_at,
            product=update.incident.product,
        )
        for update in updates
    ]
    entries.sort(key=lambda entry: (entry.published, entry.guid), reverse=True)
    return entries[:limit]


def product_get_active_by_code(*, code: str) -> Product:
    product = Product.objects.filter(code=code, is_active=True).first()
    if product is None:
        raise NotFound(_("Product not found."))
    return product


def maintenance_calendar_occurrences(
    *, product: Product | None = None, now: datetime | None = None
) -> list[WindowOccurrence]:
    """Runs of active windows from a week ago to about three months ahead, by start."""
    now = now or timezone.now()
    windows = MaintenanceWindow.objects.filter(is_active=True, product__is_active=True).select_related(
        "product"
    )
    if product is not None:
        windows = windows.filter(product=product)
    start, end = now - CALENDAR_PAST, now + CALENDAR_AHEAD
    runs = [
        run for window in windows for run in window_occurrences_between(window=window, start=start, end=end)
    ]
    runs.sort(key=lambda run: (run.start, run.window.pk))
    return runs


# --- Support directory -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SupportCaller:
    """What the directory says to one logged-in user."""

    may_call_support: bool
    reason: str  # a stable code: "staff", "dsu_or_manager", "member", "dsu_required", ...
    detail: str
    country: str | None
    region: SupportRegion | None
    note: str | None


def support_caller_for_user(*, user: User) -> SupportCaller | None:
    """Whether ``user`` may phone support and which number serves them; None for anonymous users."""
    if not user.is_authenticated:
        return None
    if user.is_staff:
        return SupportCaller(True, "staff", "Support staff may call.", None, None, None)
    membership = membership_for(user)
    if membership is None:
        return SupportCaller(
            False, "no_membership", "Your account belongs to no organisation yet.", None, None, None
        )
    active = membership.status == Membership.Status.ACTIVE
    if membership.company is None:  # a partner establishment: it calls for the client it serves
        return SupportCaller(
            active,
            "partner" if active else "membership_inactive",
            "Partner users call for their clients." if active else "Your account is not active.",
            None,
            None,
            "Call the number serving your client's country.",
        )
    company = membership.company
    region = region_for_country(company.country)
    note = (
        None
        if region is not None
        else f"No dedicated number serves {company.country}; call the nearest region or open a P1 case."
    )
    refusal = acting_for_company_refusal(user=user, company=company)  # calling is acting for it
    if refusal == ActingRefusal.MEMBERSHIP_INACTIVE:
        may, reason, detail = False, str(refusal), "Your account is not active."
    elif refusal is not None:
        may, reason = False, str(refusal)
        detail = "In the US only designated support users (DSUs) and managers may call support."
    else:
        may, reason = True, "dsu_or_manager" if membership.sees_all_company_cases else "member"
        detail = "You may call support."
    return SupportCaller(may, reason, detail, company.country, region, note)
