"""How the workspace shows statuses, priorities and SLA time left (business time, coloured by state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.html import format_html
from django.utils.safestring import SafeString

from cases.models import Case, CaseStatus, WhoseMove
from sla.businesstime import business_time_between
from sla.models import Calendar, SlaTimer
from sla.selectors import calendar_for_company


def duration_text(delta: timedelta) -> str:
    """'3h 05m', '45m', '0m' (business hours, not days: a business day is not 24 h)."""
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def status_badge(case: Case) -> SafeString:
    return format_html(
        '<span class="cd-badge cd-status-{}">{}</span>', case.status, case.get_status_display()
    )


def priority_badge(priority: str) -> SafeString:
    return format_html('<span class="cd-badge cd-priority-{}">{}</span>', priority.lower(), priority)


WHOSE_MOVE_CLASS: dict[str, str] = {
    WhoseMove.CUSTOMER_SUPPORT: "support",
    WhoseMove.SUPPORT_ENGINEERING: "support",
    WhoseMove.CUSTOMER: "customer",
    WhoseMove.NOBODY: "nobody",
}


@dataclass(frozen=True)
class SlaCell:
    state: str  # ok | warning | breached | paused | none
    text: str
    title: str = ""

    def html(self) -> SafeString:
        return format_html(
            '<span class="cd-sla cd-sla-{}" title="{}">{}</span>', self.state, self.title, self.text
        )


def sla_cell(case: Case, now: datetime) -> SlaCell:
    """The SLA column for a case annotated by ``queues.with_sla``: business time to the nearest
    deadline in the timer's calendar (resolved through the cached ``calendar_for_company``)."""
    due: datetime | None = getattr(case, "sla_due_at", None)
    calendar_id: int | None = getattr(case, "sla_calendar_id", None)
    if case.status == CaseStatus.CLOSED:
        return SlaCell("none", "—", "Closed")
    if due is not None and calendar_id is not None:
        # Only the calendar's id is read: a stand-in instance spares a query per row.
        calendar = calendar_for_company(calendar=Calendar(pk=calendar_id), company=case.company, at=now)
        title = f"Due {due:%Y-%m-%d %H:%M} UTC"
        if due <= now or getattr(case, "sla_state", "") == SlaTimer.State.BREACHED:
            late = business_time_between(calendar, due, now) if due < now else timedelta(0)
            return SlaCell("breached", f"overdue {duration_text(late)}", title)
        left = business_time_between(calendar, now, due)
        state = "warning" if getattr(case, "sla_warnings_sent", 0) else "ok"
        return SlaCell(state, f"{duration_text(left)} left", title)
    paused: int | None = getattr(case, "sla_paused_seconds", None)
    if paused is not None:
        amount = duration_text(timedelta(seconds=paused))
        text = f"paused · {amount} left" if paused >= 0 else f"paused · overdue {amount}"
        return SlaCell("paused", text, "Clock paused: the customer has the move")
    return SlaCell("none", "—", "No SLA clock running")
