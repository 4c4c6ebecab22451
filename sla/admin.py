from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sla.models import Calendar, Holiday, SlaPolicy, SlaTarget, SlaTimer, WorkingInterval


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "time_zone", "country", "public_holidays"]
    inlines = [WorkingIntervalInline, HolidayInline]


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    list_select_related = ["calendar"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "is_active", "updated_at"]
    filter_horizontal = ["companies"]
    inlines = [SlaTargetInline]


@admin.register(SlaTimer)
class SlaTimerAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        "metric",
        "state",
        "target_minutes",
        "due_at",
        "warned_at",
        "breached_at",
        "met_at",
    ]
    list_filter = ["metric", "state"]
    list_select_related = ["case"]
    search_fields = ["case__number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in SlaTimer._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
