from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from core.admin import ReadOnlyAdmin
from core.errors import ValidationFailed
from notifications.models import (
    Notification,
    WebhookEndpoint,
)
from notifications.outbox import notification_retry
from notifications.webhooks import webhook_url_check

# What each kind of outbox row is, in words (e-mail kinds, and the case event types webhooks carry).
KIND_LABELS: dict[str, str] = {
    "case_created": "Case received (to customer)",
    "support_reply": "Support replied (to customer)",
    "pending_customer": "Waiting for the customer",
    "verify_resolution": "Please verify the resolution",
    "auto_close_reminder": "Auto-close reminder",
    "case_closed": "Case closed",
    "reopened": "Case reopened",
    "escalation_requested": "Escalation requested (to customer)",
    "escalation_review": "Escalation to review (to managers)",
    "escalation_decided": "Escalation decided",
    "authorization_request_raised": "Authorisation requested",
    "authorization_request_decided": "Authorisation decided",
    "password_reset": "Password reset link",
    "status_maintenance": "Scheduled maintenance",
    "status_incident": "Incident update",
    "sla_warning": "SLA target due soon",
    "sla_breached": "SLA target missed",
    "created": "Webhook: case created",
    "transition": "Webhook: status changed",
    "commented": "Webhook: comment",
    "assigned": "Webhook: assigned",
    "priority_changed": "Webhook: priority changed",
    "auto_closed": "Webhook: closed automatically",
    "attachment_added": "Webhook: attachment added",
    "escalation_accepted": "Webhook: escalation accepted",
    "escalation_declined": "Webhook: escalation declined",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


class KindListFilter(admin.SimpleListFilter):
    """The kinds present in the outbox, named in words."""

    title = "what"
    parameter_name = "kind"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        kinds = Notification.objects.order_by().values_list("kind", flat=True).distinct()
        return sorted(((kind, kind_label(kind)) for kind in kinds), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet[Notification]) -> QuerySet[Notification]:
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The outbox as support managers read it: which case, what was sent in words, to whom, its
    status, attempts and last error, in columns that fit a 1440 px screen (``workspace.css``)."""

    list_display = [
        "created_column",
        "case_column",
        "kind_column",
        "channel",
        "recipient_column",
        "status_column",
        "attempts",
        "error_column",
    ]
    list_filter = ["status", "channel", KindListFilter]
    list_select_related = ["case"]
    search_fields = ["to_address", "case__number", "idempotency_key"]
    actions = ["retry_selected"]
    show_full_result_count = False

    class Media:
        css = {"all": ["cases/admin/workspace.css"]}

    @admin.display(description="created", ordering="created_at")
    def created_column(self, notification: Notification) -> str:
        return formats.date_format(timezone.localtime(notification.created_at), "Y-m-d H:i")

    @admin.display(description="case", ordering="case__number")
    def case_column(self, notification: Notification) -> SafeString | str:
        if notification.case_id is None:
            return "—"
        url = reverse("admin:cases_case_change", args=[notification.case_id])
        return format_html(
            '<a href="{}">{}</a>',
            url,
            notification.case.number if notification.case else notification.case_id,
        )

    @admin.display(description="what", ordering="kind")
    def kind_column(self, notification: Notification) -> SafeString:
        return format_html('<span title="{}">{}</span>', notification.kind, kind_label(notification.kind))

    @admin.display(description="to", ordering="to_address")
    def recipient_column(self, notification: Notification) -> SafeString:
        return format_html('<span title="{}">{}</span>', notification.to_address, notification.to_address)

    @admin.display(description="status", ordering="status")
    def status_column(self, notification: Notification) -> SafeString:
        return format_html(
            '<span class="cd-outbox-status-{}">{}</span>',
            notification.status,
            notification.get_status_display(),
        )

    @admin.display(description="last error")
    def error_column(self, notification: Notification) -> SafeString | str:
        if not notification.last_error:
            return "—"
        return format_html(
            '<span title="{}">{}</span>',
            notification.last_error,
            Truncator(notification.last_error).chars(80),
        )

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
