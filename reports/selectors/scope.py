"""Who may read reports, and the filters every report takes.

Support managers read every company's numbers; an active manager of a customer company reads only
their own company's (the company filter is forced); nobody else reads reports. Periods are UTC
calendar days, both ends included, and weeks are ISO weeks (Monday to Sunday) in UTC: one clock for
every company, so a week means the same seven days in every row and every report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Company, Product, User
from accounts.selectors import active_membership_for
from core.errors import NotFound, PermissionRefused, ValidationFailed

# The longest period a report covers: two years, a leap day included.
REPORT_PERIOD_MAX_DAYS = 731
# The days a period may name: none of Casedesk's records predates the Unix epoch, and the day after
# the period's last must still be a date (``date.max`` is 9999-12-31).
REPORT_DATE_MIN = date(1970, 1, 1)
REPORT_DATE_MAX = date(9998, 12, 31)
# Without ``from``: this many ISO weeks, the current one included.
REPORT_DEFAULT_WEEKS = 12


def week_monday(day: date) -> date:
    """The Monday that starts ``day``'s ISO week."""
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    """ISO 8601 week name: ``2026-W23``."""
    year, week, _weekday = monday.isocalendar()
    return f"{year:04d}-W{week:02d}"


def utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


@dataclass(frozen=True)
class ReportFilters:
    """A report's period (UTC days ``start``..``end``, both included) and its case filters."""

    start: date
    end: date
    company: Company | None = None
    product: Product | None = None
    priorities: tuple[str, ...] = ()
    analyst: User | None = None

    @property
    def since(self) -> datetime:
        """The first instant of the period."""
        return utc_midnight(self.start)

    @property
    def until(self) -> datetime:
        """The first instant after the period."""
        return utc_midnight(self.end + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[date]:
        """The Mondays of every ISO week the period touches, oldest first."""
        first, last = week_monday(self.start), week_monday(self.end)
        return [first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1)]

    def cases(self, path: str = "", *, by_assignee: bool = True) -> Q:
        """The case filters as a condition on ``path`` (``"case__"`` from a case's child row).
        ``by_assignee=False`` leaves the analyst out, for reports that apply it to someone else
        (the author of a reply)."""
        condition = Q()
        if self.company is not None:
            condition &= Q(**{f"{path}company": self.company})
        if self.product is not None:
            condition &= Q(**{f"{path}product_instance__product": self.product})
        if self.priorities:
            condition &= Q(**{f"{path}priority__in": self.priorities})
        if by_assignee and self.analyst is not None:
            condition &= Q(**{f"{path}assignee": self.analyst})
        return condition

    def period(self, field: str) -> Q:
        """``field`` (a datetime) inside the period."""
        return Q(**{f"{field}__gte": self.since, f"{field}__lt": self.until})


def report_company_for_user(*, user: User) -> Company | None:
    """The company ``user``'s reports are limited to: ``None`` for a support manager (every company),
    the company of an active customer-company manager; anyone else is refused (403)."""
    if user.is_staff:
        if user.is_support_manager:
            return None
    else:
        membership = active_membership_for(user)
        if (
            user.is_active
            and membership is not None
            and membership.company is not None
            and membership.is_manager
        ):
            return membership.company
    raise PermissionRefused(
        _("Reports are for support managers, and for a customer company's managers about their company."),
        code="reports_not_allowed",
    )


def report_filters_resolve(
    *,
    user: User,
    start: date | None = None,
    end: date | None = None,
    company_id: int | None = None,
    product: Product | None = None,
    priorities: tuple[str, ...] = (),
    analyst: User | None = None,
    today: date | None = None,
) -> ReportFilters:
    """The filters ``user`` asked for, checked: who they are first (403), then the company (another
    company's id answers as a missing one: 404), then the period (at most two years, not reversed,
    its days within ``REPORT_DATE_MIN``..``REPORT_DATE_MAX``)."""
    forced = report_company_for_user(user=user)
    company: Company | None = forced
    if forced is not None:
        if company_id is not None and company_id != forced.pk:
            raise NotFound(_("Company not found."))
    elif company_id is not None:
        company = Company.objects.filter(pk=company_id).first()
        if company is None:
            raise NotFound(_("Company not found."))
    for day in (start, end):
        if day is not None and not REPORT_DATE_MIN <= day <= REPORT_DATE_MAX:
            raise ValidationFailed(
                _("A report's period lies between %(min)s and %(max)s; %(day)s does not.")
                % {"min": REPORT_DATE_MIN, "max": REPORT_DATE_MAX, "day": day},
                code="date_out_of_range",
                extra={"min_date": REPORT_DATE_MIN.isoformat(), "max_date": REPORT_DATE_MAX.isoformat()},
            )
    today = today or timezone.now().astimezone(UTC).date()
    end = end or today
    start = start or week_monday(end) - timedelta(weeks=REPORT_DEFAULT_WEEKS - 1)
    if start > end:
        raise ValidationFailed(
            _("The period starts (%(start)s) after it ends (%(end)s).") % {"start": start, "end": end},
            code="invalid_date_range",
        )
    if (end - start).days + 1 > REPORT_PERIOD_MAX_DAYS:
        raise ValidationFailed(
            _("A report covers at most %(days)s days; ask for a shorter period.")
            % {"days": REPORT_PERIOD_MAX_DAYS},
            code="date_range_too_long",
            extra={"max_days": REPORT_PERIOD_MAX_DAYS},
        )
    return ReportFilters(
        start=start,
        end=end,
        company=company,
        product=product,
        priorities=tuple(sorted(set(priorities))),
        analyst=analyst,
    )
