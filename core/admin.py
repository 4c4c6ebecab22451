from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from core.models import JobRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Histories and logs (events, audit records, inbound mail): read-only for everyone, superusers
    included; they change only through the services that write them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_started_at", "last_succeeded_at", "last_failed_at", "last_error")
    ordering = ("name",)
