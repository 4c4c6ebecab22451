"""Histories are read-only for everyone, superusers included: events and attachments."""

from __future__ import annotations

from django.contrib import admin

from cases.models import Attachment, CaseEvent
from core.admin import ReadOnlyAdmin


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
