"""The case list: queues and saved views as tabs, the SLA column (business time left and the due
time), time in status, and saving the current filters as a named view."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from accounts.models import User
from cases.admin.display import elapsed_text, priority_badge, sla_cell, status_with_time
from cases.admin.forms import SavedViewForm
from cases.admin.queues import (
    CASE_QUEUES,
    QUEUE_PARAMETER,
    SLA_DUE_ORDER,
    QueueListFilter,
    case_queue_counts,
    with_sla,
)
from cases.admin.timezones import when_html
from cases.admin.workspace.common import LIST_SHORTCUTS, RoutingQueueFilter, staff_user
from cases.admin.workspace.navigation import FILTERS_PARAMETER
from cases.models import Case, SavedView
from cases.selectors import case_list_for_user
from cases.services import saved_view_delete, saved_view_save
from cases.services.workspace import saved_view_query_clean
from core.errors import ApplicationError

# The case list carries its queue to every case it links to; the plain list is the "All" queue.
ALL_CASES_FILTERS = f"{QUEUE_PARAMETER}=all"


def saved_views_for(*, user: User) -> QuerySet[SavedView]:
    """The user's own saved views and those shared with the team."""
    return SavedView.objects.filter(Q(owner=user) | Q(is_shared=True)).select_related("owner")


class CaseListMixin(admin.ModelAdmin):
    list_display = [
        "number",
        "subject",
        "company_column",
        "priority_column",
        "status_column",
        "assignee",
        "sla_remaining",
        "last_activity",
    ]
    list_display_links = ["number", "subject"]
    list_filter = [
        QueueListFilter,
        "status",
        "priority",
        "company__plan_tier",
        ("company", admin.RelatedOnlyFieldListFilter),
        ("product_instance__product", admin.RelatedOnlyFieldListFilter),
        "product_instance__environment",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("queue", RoutingQueueFilter),
    ]
    list_select_related = ["company", "assignee"]
    search_fields = ["number", "subject", "company__name"]
    search_help_text = (
        "Words of the case, its comments, e-mail replies and internal notes; its number; "
        "partial words and names of the subject, company and people. Best matches first."
    )
    show_full_result_count = False  # one count query, not two
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return with_sla(case_list_for_user(user=staff_user(request)).select_related(None))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [SLA_DUE_ORDER, "-created_at"]  # nearest deadline first; no clock: newest first

    def get_preserved_filters(self, request: HttpRequest) -> str:
        preserved = super().get_preserved_filters(request)
        match = request.resolver_match
        if not preserved and match is not None and match.url_name == "cases_case_changelist":
            return urlencode({FILTERS_PARAMETER: ALL_CASES_FILTERS})  # links from "All cases" keep it too
        return preserved

    @admin.display(description="company · tier", ordering="company__name")
    def company_column(self, case: Case) -> SafeString:
        return format_html(
            '<span class="cd-company" title="{}">{}</span><span class="cd-sub">{}</span>',
            case.company,
            case.company,
            case.company.get_plan_tier_display(),
        )

    @admin.display(description="priority", ordering="priority")
    def priority_column(self, case: Case) -> SafeString:
        return priority_badge(case.priority)

    @admin.display(description="status · for", ordering="status")
    def status_column(self, case: Case) -> SafeString:
        return status_with_time(case, timezone.now())

    @admin.display(description="SLA", ordering=SLA_DUE_ORDER)
    def sla_remaining(self, case: Case) -> SafeString:
        return sla_cell(case, timezone.now()).html()

    @admin.display(description="customer active", ordering="last_customer_activity_at")
    def last_activity(self, case: Case) -> SafeString | str:
        at = case.last_customer_activity_at
        if at is None:
            return "—"
        since = timezone.now() - at
        return when_html(at, "just now" if since < timedelta(minutes=1) else f"{elapsed_text(since)} ago")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        user = staff_user(request)
        counts = case_queue_counts(user=user)
        current_queue = request.GET.get(QUEUE_PARAMETER, "all")
        current = saved_view_query_clean(request.GET.urlencode())
        base = reverse("admin:cases_case_changelist")
        views = [
            {
                "pk": view.pk,
                "name": view.name,
                "url": f"{base}?{view.query}" if view.query else base,
                "active": view.query == current,
                "shared": view.is_shared,
                "owner": view.owner,
                "mine": view.owner_id == user.pk,
                "deletable": view.owner_id == user.pk or (view.is_shared and user.is_support_manager),
            }
            for view in saved_views_for(user=user)
        ]
        saved_active = next((view for view in views if view["active"]), None)
        queues = [
            {
                "slug": queue.slug,
                "title": queue.title,
                "count": counts[queue.slug],
                "url": base if queue.condition is None else f"{base}?{QUEUE_PARAMETER}={queue.slug}",
                "active": queue.slug == current_queue and saved_active is None,
            }
            for queue in CASE_QUEUES
        ]
        title = (
            saved_active["name"]
            if saved_active
            else next((q["title"] for q in queues if q["active"]), "Cases")
        )
        context = {
            "case_queues": queues,
            "saved_views": views,
            "saved_view_form": SavedViewForm(initial={"query": current}),
            "title": title,
            "workspace_zone": getattr(request, "workspace_zone", None),
            "list_shortcuts": LIST_SHORTCUTS,
            **(extra_context or {}),
        }
        return super().changelist_view(request, context)

    # --- saved views: save the current list, delete one -------------------------------------------

    def saved_view_save_view(self, request: HttpRequest) -> HttpResponse:
        user = staff_user(request)
        form = SavedViewForm(request.POST)
        query = saved_view_query_clean(request.POST.get("query", ""))
        target = reverse("admin:cases_case_changelist") + (f"?{query}" if query else "")
        if not form.is_valid():
            messages.error(request, "Name the view (at most 60 characters).")
            return HttpResponseRedirect(target)
        try:
            view, created = saved_view_save(
                owner=user,
                name=form.cleaned_data["name"],
                query=query,
                is_shared=form.cleaned_data["is_shared"],
            )
        except ApplicationError as error:
            messages.error(request, f"View not saved: {error.detail}")
            return HttpResponseRedirect(target)
        shared = "shared with the team" if view.is_shared else "only you see it"
        messages.success(request, f"View '{view.name}' {'saved' if created else 'updated'} ({shared}).")
        return HttpResponseRedirect(target)

    def saved_view_delete_view(self, request: HttpRequest, view_id: int) -> HttpResponse:
        user = staff_user(request)
        view = saved_views_for(user=user).filter(pk=view_id).first()
        if view is None:
            messages.error(request, "That view no longer exists.")
        else:
            try:
                saved_view_delete(view=view, actor=user)
            except ApplicationError as error:
                messages.error(request, f"View not deleted: {error.detail}")
            else:
                messages.success(request, f"View '{view.name}' deleted.")
        return HttpResponseRedirect(reverse("admin:cases_case_changelist"))
