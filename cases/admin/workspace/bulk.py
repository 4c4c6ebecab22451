"""Bulk actions on the case list: assign, change priority; each case through its service, and one
report of what was done, what was already so, and what was refused (and why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse

from accounts.models import User
from cases.admin.forms import SELECTED, BulkAssignForm, BulkForm, BulkPriorityForm
from cases.admin.workspace.common import staff_user
from cases.models import Case, CaseStatus
from cases.services import case_assign, case_priority_override
from core.errors import ApplicationError


@dataclass
class BulkReport:
    """What a bulk action did, skipped as already done, and refused (each case named with why)."""

    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def run(self, case: Case, act: Callable[[Case], bool]) -> None:
        label = case.number or f"#{case.pk}"
        if case.status == CaseStatus.CLOSED:
            self.refused.append((label, "closed: reopen it first"))
            return
        try:
            changed = act(case)
        except ApplicationError as error:
            self.refused.append((label, error.detail))
            return
        (self.done if changed else self.unchanged).append(label)

    def tell(self, request: HttpRequest, *, done: str, unchanged: str, refused: str) -> None:
        if self.done:
            messages.success(request, f"{done}: {', '.join(self.done)}.")
        if self.unchanged:
            messages.info(request, f"{unchanged}: {', '.join(self.unchanged)}.")
        if self.refused:
            reasons = "; ".join(f"{number} ({why})" for number, why in self.refused)
            messages.warning(request, f"{refused}: {reasons}.")


class CaseBulkActionsMixin(admin.ModelAdmin):
    actions = ["assign_to_me", "assign_to_analyst", "change_priority"]

    @admin.action(description="Assign selected cases to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._bulk_assign(request, queryset, staff_user(request))

    @admin.action(description="Assign selected cases to an analyst…", permissions=["change"])
    def assign_to_analyst(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkAssignForm(
            request.POST if "apply" in request.POST else None, initial=self._bulk_initial(request)
        )
        if form.is_bound and form.is_valid():
            self._bulk_assign(request, queryset, form.cleaned_data["assignee"])
            return None
        return self._bulk_page(request, queryset, form, "Assign cases to an analyst", "Assign")

    @admin.action(description="Change priority of selected cases…", permissions=["change"])
    def change_priority(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkPriorityForm(
            request.POST if "apply" in request.POST else None, initial=self._bulk_initial(request)
        )
        if not (form.is_bound and form.is_valid()):
            return self._bulk_page(request, queryset, form, "Change the priority of cases", "Change priority")
        user = staff_user(request)
        priority, reason = form.cleaned_data["priority"], form.cleaned_data["reason"]
        report = BulkReport()

        def act(case: Case) -> bool:
            if case.priority == priority:
                return False
            case_priority_override(case=case, actor=user, priority=priority, reason=reason)
            return True

        for case in queryset.order_by("pk"):
            report.run(case, act)
        report.tell(
            request,
            done=f"Priority changed to {priority}",
            unchanged=f"Already {priority}",
            refused="Priority not changed",
        )
        return None

    def _bulk_assign(self, request: HttpRequest, queryset: QuerySet[Case], assignee: User) -> None:
        user = staff_user(request)
        report = BulkReport()

        def act(case: Case) -> bool:
            if case.assignee_id == assignee.pk:
                return False
            case_assign(case=case, actor=user, assignee=assignee)
            return True

        for case in queryset.order_by("pk"):
            report.run(case, act)
        mine = assignee == user
        report.tell(
            request,
            done=f"Assigned to {'you' if mine else assignee}",
            unchanged="Already yours" if mine else f"Already {assignee}'s",
            refused="Not assigned",
        )

    def _bulk_initial(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
        }

    def _bulk_page(
        self, request: HttpRequest, queryset: QuerySet[Case], form: BulkForm, title: str, submit: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "objects": [
                (case.pk, f"{case.number} — {case.subject}", f"{case.company} · {case.get_status_display()}")
                for case in queryset.order_by("pk")
            ],
            "selected_name": SELECTED,
            "submit_label": submit,
        }
        return TemplateResponse(request, "admin/cases/bulk_action.html", context)
