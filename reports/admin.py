"""The reports dashboard in the admin, for support managers (Reports › Dashboard)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path

from accounts.models import User
from core.errors import ApplicationError
from reports.dashboard import (
    DashboardFilterForm,
    dashboard_cases_csv,
    dashboard_comments,
    dashboard_comments_csv,
    dashboard_sections,
)
from reports.models import Dashboard
from reports.selectors import report_filters_resolve, report_queries


def _is_support_manager(request: HttpRequest) -> bool:
    return isinstance(request.user, User) and request.user.is_active and request.user.is_support_manager


@admin.register(Dashboard)
class DashboardAdmin(admin.ModelAdmin):
    """Only a page: nothing to add, change or delete; its changelist is the dashboard."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_support_manager(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_support_manager(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.dashboard_view)
        return [path("", view, name="reports_dashboard_changelist")]

    def dashboard_view(self, request: HttpRequest) -> TemplateResponse:
        if not _is_support_manager(request):
            raise PermissionDenied
        assert isinstance(request.user, User)
        form = DashboardFilterForm(request.GET or None)
        chosen = form.cleaned_data if form.is_bound and form.is_valid() else {}
        problem = ""
        try:
            filters = report_filters_resolve(
                user=request.user,
                start=chosen.get("from"),
                end=chosen.get("to"),
                company_id=chosen["company"].pk if chosen.get("company") else None,
                product=chosen.get("product"),
                priorities=tuple(chosen.get("priority") or ()),
                analyst=chosen.get("analyst"),
            )
        except ApplicationError as exc:  # a reversed or too long period: say so, show the default one
            problem = exc.detail
            filters = report_filters_resolve(user=request.user)
        if not form.is_bound:  # show the period the reports cover
            form = DashboardFilterForm(initial={"from": filters.start, "to": filters.end})
        with report_queries():
            sections, comments = dashboard_sections(filters=filters), dashboard_comments(filters=filters)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Reports",
            "form": form,
            "problem": problem,
            "filters": filters,
            "sections": sections,
            "comments": comments,
            "comments_csv": dashboard_comments_csv(filters),
            "cases_csv": dashboard_cases_csv(filters),
        }
        return TemplateResponse(request, "admin/reports/dashboard.html", context)
