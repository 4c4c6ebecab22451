"""Histories are read-only for everyone, superusers included: events and attachments."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cases.models import Attachment, CaseEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "case", "type", "actor", "from_status", "to_status", "is_internal"]
    list_filter = ["type", "is_internal"]
    list_select_related = ["case", "actor"]
    search_fields = ["case__number"]
    date_hierarchy = "created_at"


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "case", "content_type", "size", "uploaded_by", "created_at"]
    list_select_related = ["case", "uploaded_by"]
    search_fields = ["case__number", "filename"]
