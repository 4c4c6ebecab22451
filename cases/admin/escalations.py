"""Escalation requests: support managers accept or decline them (with a reason) through the service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.text import Truncator

from accounts.models import User
from cases.admin.forms import SELECTED, DecisionForm
from cases.models import EscalationRequest
from cases.services import escalation_decide
from core.errors import ApplicationError


@admin.register(EscalationRequest)
class EscalationRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "company", "status", "message", "requested_by", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["case__company", "requested_by", "decided_by", "comment"]
    search_fields = ["case__number", "case__company__name"]
    actions = ["accept_selected", "decline_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in EscalationRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers ask, on the case

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return isinstance(request.user, User) and request.user.is_support_manager

    @admin.display(description="company", ordering="case__company__name")
    def company(self, escalation: EscalationRequest) -> str:
        return str(escalation.case.company)

    @admin.display(description="message")
    def message(self, escalation: EscalationRequest) -> str:
        return Truncator(escalation.comment.body).chars(80)

    @admin.action(description="Accept selected escalations…", permissions=["decide"])
    def accept_selected(
        self, request: HttpRequest, queryset: QuerySet[EscalationRequest]
    ) -> TemplateResponse | None:
        return self._decide(request, queryset, accept=True)

    @admin.action(description="Decline selected escalations…", permissions=["decide"])
    def decline_selected(
        self, request: HttpRequest, queryset: QuerySet[EscalationRequest]
    ) -> TemplateResponse | None:
        return self._decide(request, queryset, accept=False)

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[EscalationRequest], *, accept: bool
    ) -> TemplateResponse | None:
        initial = {
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across"),
        }
        form = DecisionForm(request.POST if "apply" in request.POST else None, initial=initial)
        verb = "Accept" if accept else "Decline"
        if not (form.is_bound and form.is_valid()):
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{verb} escalation requests",
                "form": form,
                "objects": [
                    (
                        escalation.pk,
                        f"{escalation.case.number} — {escalation.case.company}",
                        escalation.comment.body,
                    )
                    for escalation in queryset
                ],
                "selected_name": SELECTED,
                "submit_label": verb,
            }
            return TemplateResponse(request, "admin/cases/bulk_action.html", context)
        user = request.user
        assert isinstance(user, User)
        for escalation in queryset:
            try:
                escalation_decide(
                    escalation=escalation, decided_by=user, accept=accept, reason=form.cleaned_data["reason"]
                )
            except ApplicationError as error:
                self.message_user(
                    request, f"{escalation.case.number}: {error.detail}", level=messages.WARNING
                )
            else:
                self.message_user(request, f"{escalation.case.number}: escalation {verb.lower()}ed.")
        return None
