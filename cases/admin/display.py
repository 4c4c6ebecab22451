"""How the workspace shows statuses, priorities, time in status and SLA deadlines: business time
left and the due time (in the analyst's zone), coloured by urgency relative to the target."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils.html import format_html
from django.utils.safestring import SafeString

from cases.admin.timezones import short_when, when_html, when_text
from cases.models import Case, CaseStatus, WhoseMove
from sla.models import Calendar, SlaTimer
from sla.selectors import business_time_left

PAUSED_TEXT = "paused (customer's move)"


def duration_text(delta: timedelta) -> str:
    """'3h 05m', '45m', '0m' (business hours, not days: a business day is not 24 h)."""
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def elapsed_text(delta: timedelta) -> str:
    """Wall-clock time something has lasted: '12m', '3h 05m', '2d 4h'."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    if days:
        return f"{days}d {minutes // 60}h"
    return duration_text(timedelta(minutes=minutes))


def status_badge(case: Case) -> SafeString:
    return format_html(
        '<span class="cd-badge cd-status-{}">{}</span>', case.status, case.get_status_display()
    )


# Statuses whose full name would widen the case list's column.
STATUS_SHORT: dict[str, str] = {
    CaseStatus.PENDING_ENGINEERING: "Pending engineering",
    CaseStatus.PENDING_CUSTOMER: "Pending customer",
}


def status_with_time(case: Case, now: datetime) -> SafeString:
    """The status badge (short name, full one in its title) and how long the case has been in it."""
    return format_html(
        '<span class="cd-badge cd-status-{}" title="{}">{}</span><span class="cd-since" title="In this status since {}">{}</span>',
        case.status,
        case.get_status_display(),
        STATUS_SHORT.get(case.status, case.get_status_display()),
        when_text(case.status_changed_at),
        elapsed_text(now - case.status_changed_at),
    )


def priority_badge(priority: str) -> SafeString:
    return format_html('<span class="cd-badge cd-priority-{}">{}</span>', priority.lower(), priority)


WHOSE_MOVE_CLASS: dict[str, str] = {
    WhoseMove.CUSTOMER_SUPPORT: "support",
    WhoseMove.SUPPORT_ENGINEERING: "support",
    WhoseMove.CUSTOMER: "customer",
    WhoseMove.NOBODY: "nobody",
}

# Urgency by the share of the target still left: at least half is calm, under a quarter is urgent.
CALM_SHARE = 0.5
URGENT_SHARE = 0.25


def urgency(*, left: timedelta, target_minutes: int | None, warned: bool) -> str:
    """ok | warning | urgent for a deadline not yet passed; a warning sent is at least 'warning'."""
    share = left.total_seconds() / (target_minutes * 60) if target_minutes else 1.0
    if share < URGENT_SHARE:
        return "urgent"
    if share < CALM_SHARE or warned:
        return "warning"
    return "ok"


@dataclass(frozen=True)
class SlaCell:
    state: str  # ok | warning | urgent | breached | paused | none
    text: str
    title: str = ""
    due: datetime | None = None
    due_text: str = ""  # 'due today 14:30', or what a paused clock has left

    def html(self) -> SafeString:
        if self.state == "paused":  # two short lines instead of one wide chip
            badge = format_html(
                '<span class="cd-sla cd-sla-paused" title="{}">paused <span class="cd-why">(customer\'s move)</span></span>',
                self.title,
            )
        else:
            badge = format_html(
                '<span class="cd-sla cd-sla-{}" title="{}">{}</span>', self.state, self.title, self.text
            )
        if not self.due_text:
            return badge
        due = when_html(self.due, self.due_text) if self.due is not None else self.due_text
        return format_html('{}<span class="cd-due">{}</span>', badge, due)


def paused_time_left_text(seconds: int) -> str:
    """What a paused clock has left ('2h 05m left'), or how far past its target it stopped."""
    amount = duration_text(timedelta(seconds=seconds))
    return f"{amount} left" if seconds >= 0 else f"overdue {amount}"


def sla_cell(case: Case, now: datetime) -> SlaCell:
    """The SLA column for a case annotated by ``queues.with_sla``: business time to the nearest
    deadline in the timer's calendar (resolved through the cached ``calendar_for_company``), and the
    deadline itself in the analyst's zone."""
    due: datetime | None = getattr(case, "sla_due_at", None)
    calendar_id: int | None = getattr(case, "sla_calendar_id", None)
    if case.status == CaseStatus.CLOSED:
        return SlaCell("none", "—", "Closed")
    if due is not None and calendar_id is not None:
        target: int | None = getattr(case, "sla_target_minutes", None)
        title = f"Due {when_text(due)}" + (
            f"; target {duration_text(timedelta(minutes=target))}" if target else ""
        )
        # Only the calendar's id is read: a stand-in instance spares a query per row.
        left = business_time_left(
            calendar=Calendar(pk=calendar_id), company=case.company, due_at=due, now=now
        )
        if due <= now or getattr(case, "sla_state", "") == SlaTimer.State.BREACHED:
            late = max(-left, timedelta(0))
            return SlaCell(
                "breached", f"overdue {duration_text(late)}", title, due, f"was due {short_when(due, now)}"
            )
        state = urgency(left=left, target_minutes=target, warned=bool(getattr(case, "sla_warnings_sent", 0)))
        return SlaCell(state, f"{duration_text(left)} left", title, due, f"due {short_when(due, now)}")
    paused: int | None = getattr(case, "sla_paused_seconds", None)
    if paused is not None:
        rest = paused_time_left_text(paused)
        return SlaCell(
            "paused", PAUSED_TEXT, f"Clock paused while the customer has the move; {rest}", None, rest
        )
    return SlaCell("none", "—", "No SLA clock running")


@dataclass(frozen=True)
class SlaRow:
    """One timer on the case page."""

    label: str
    state: str  # as SlaCell.state, or met | not_applicable
    text: str
    due: datetime | None
    due_text: str


def sla_row(summary: dict[str, object], label: str, now: datetime) -> SlaRow:
    """A timer of ``sla.selectors.sla_timer_summaries`` as the case page shows it."""
    state = str(summary["state"])
    seconds = summary["business_seconds_remaining"]
    due = summary["due_at"] if isinstance(summary["due_at"], datetime) else None
    met = summary["met_at"] if isinstance(summary["met_at"], datetime) else None
    target = summary["target_minutes"] if isinstance(summary["target_minutes"], int) else None
    if met is not None:
        return SlaRow(label, "met", f"met {short_when(met, now)}", met, "")
    if state == SlaTimer.State.NOT_APPLICABLE:
        return SlaRow(label, "none", "not applicable", None, "")
    if state == SlaTimer.State.PAUSED:
        rest = paused_time_left_text(seconds) if isinstance(seconds, int) else ""
        return SlaRow(label, "paused", PAUSED_TEXT, None, rest)
    if not isinstance(seconds, int):
        return SlaRow(label, "none", "—", due, "")
    left = timedelta(seconds=seconds)
    if seconds < 0 or state == SlaTimer.State.BREACHED:
        return SlaRow(
            label,
            "breached",
            f"overdue {duration_text(left)}",
            due,
            f"was due {short_when(due, now)}" if due else "",
        )
    shade = urgency(left=left, target_minutes=target, warned=state == "warning")
    return SlaRow(
        label, shade, f"{duration_text(left)} left", due, f"due {short_when(due, now)}" if due else ""
    )
