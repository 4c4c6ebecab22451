"""Lists support managers keep: case catalogs, the priority matrix, routing queues, canned responses."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest

from cases.models import (
    ApplicationArea,
    CannedResponse,
    CaseReason,
    CaseStatus,
    OutOfScopeReason,
    PriorityRule,
    Queue,
)


@admin.register(CaseReason, OutOfScopeReason)
class CatalogAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active", "position"]
    list_editable = ["is_active", "position"]
    search_fields = ["name", "code"]


@admin.register(ApplicationArea)
class ApplicationAreaAdmin(CatalogAdmin):
    list_display = ["name", "code", "product", "is_active", "position"]
    list_select_related = ["product"]


@admin.register(PriorityRule)
class PriorityRuleAdmin(admin.ModelAdmin):
    list_display = ["environment", "business_impact_scope", "business_impact", "priority"]
    list_editable = ["priority"]
    list_filter = ["environment", "priority"]


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ["name", "product", "language", "countries", "auto_assign", "waiting", "open_cases"]
    list_editable = ["auto_assign"]
    list_select_related = ["product"]
    filter_horizontal = ["analysts"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Queue]:
        not_closed = ~Q(cases__status=CaseStatus.CLOSED)
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count("cases", filter=not_closed),
                waiting_count=Count("cases", filter=not_closed & Q(cases__assignee__isnull=True)),
            )
        )

    @admin.display(description="waiting (unassigned)", ordering="waiting_count")
    def waiting(self, queue: Queue) -> int:
        return getattr(queue, "waiting_count", 0)

    @admin.display(description="open cases", ordering="open_count")
    def open_cases(self, queue: Queue) -> int:
        return getattr(queue, "open_count", 0)


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "transition", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["language", "transition", "is_active"]
    search_fields = ["title", "body"]
    fieldsets = [
        (None, {"fields": ["title", "language", "body"]}),
        ("Options", {"fields": ["transition", "is_active", "position"]}),
    ]
