from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin
from core.errors import ValidationFailed
from notifications.models import (
    InboundAutoReply,
    InboundEmail,
    Notification,
    SatisfactionSurvey,
    WebhookEndpoint,
)
from notifications.services import notification_retry
from notifications.webhooks import webhook_url_check


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "kind",
        "channel",
        "to_address",
        "language",
        "status",
        "attempts",
        "last_error",
    ]
    list_filter = ["status", "channel", "kind"]
    list_select_related = ["case"]
    search_fields = ["to_address", "case__number", "idempotency_key"]
    actions = ["retry_selected"]

    @admin.action(description="Retry selected failed notifications")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        failed = list(queryset.filter(status=Notification.Status.FAILED))
        for notification in failed:
            notification_retry(notification=notification)
        self.message_user(
            request,
            f"{len(failed)} queued again; {queryset.count() - len(failed)} were not failed.",
            level=messages.INFO,
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and bool(request.user.is_staff)  # the changelist and its retry action


class WebhookEndpointForm(forms.ModelForm):
    """Staff registering or editing an endpoint meet the API's URL rules (sending checks again)."""

    url = forms.URLField(max_length=500, assume_scheme="https")

    class Meta:
        model = WebhookEndpoint
        fields = ["company", "url", "event_types", "is_active", "created_by", "created_at"]

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        try:
            webhook_url_check(url)
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.detail, code=exc.code) from exc
        return url


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Secrets are never shown: a company manager rotates one through the API to get a new one."""

    form = WebhookEndpointForm
    list_display = ["company", "url", "is_active", "created_at", "secret_rotated_at"]
    list_filter = ["is_active"]
    list_select_related = ["company"]
    readonly_fields = ["secret_rotated_at", "previous_secret_expires_at"]


@admin.register(SatisfactionSurvey)
class SatisfactionSurveyAdmin(ReadOnlyAdmin):
    list_display = ["case", "respondent", "rating", "answered_at", "created_at"]
    list_filter = ["rating"]
    list_select_related = ["case", "respondent"]


@admin.register(InboundEmail)
class InboundEmailAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "sender", "recipient", "source", "outcome", "reason", "case"]
    list_filter = ["outcome", "source"]
    list_select_related = ["case"]


@admin.register(InboundAutoReply)
class InboundAutoReplyAdmin(ReadOnlyAdmin):
    """Who got an automatic answer to mail that opened nothing, and when (one a day per address)."""

    list_display = ["address", "last_sent_at", "last_reason", "sent_count"]
    list_filter = ["last_reason"]
    search_fields = ["address"]
