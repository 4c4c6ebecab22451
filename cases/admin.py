from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from cases.models import (
    ApplicationArea,
    Attachment,
    Case,
    CaseEvent,
    CaseReason,
    Comment,
    EscalationRequest,
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
    list_display = ["name", "product", "language", "countries", "auto_assign"]
    list_select_related = ["product"]
    filter_horizontal = ["analysts"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CaseEventInline(ReadOnlyInline):
    model = CaseEvent
    fields = ["created_at", "type", "actor", "from_status", "to_status", "note", "is_internal"]


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "is_internal", "body"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["number", "subject", "company", "priority", "status", "assignee", "created_at"]
    list_filter = ["status", "priority", "product_instance__environment"]
    list_select_related = ["company", "assignee"]
    search_fields = ["number", "subject", "company__name"]
    raw_id_fields = ["company", "product_instance", "opened_by", "on_behalf_of", "assignee", "follow_up_of"]
    inlines = [CommentInline, CaseEventInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Every change goes through the services (API or the workspace actions), never a raw edit.
        return [field.name for field in Case._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(CaseEvent)
class CaseEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "case", "type", "actor", "from_status", "to_status"]
    list_filter = ["type"]
    list_select_related = ["case", "actor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(EscalationRequest)
class EscalationRequestAdmin(admin.ModelAdmin):
    list_display = ["case", "status", "requested_by", "created_at", "decided_by"]
    list_filter = ["status"]
    list_select_related = ["case", "requested_by", "decided_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in EscalationRequest._meta.fields]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["filename", "case", "content_type", "size", "uploaded_by", "created_at"]
    list_select_related = ["case", "uploaded_by"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Attachment._meta.fields]
