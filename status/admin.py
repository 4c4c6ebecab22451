"""Status admin: every change goes through status.services (windows, incident updates, subscriptions)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest

from accounts.models import User
from core.errors import ApplicationError
from status.models import Incident, IncidentUpdate, MaintenanceWindow, StatusSubscription
from status.services import (
    MAINTENANCE_WINDOW_EDITABLE,
    incident_create,
    incident_update,
    maintenance_window_create,
    maintenance_window_update,
    status_subscription_unset,
)


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # the admin requires a logged-in staff user
    return user


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "kind", "schedule_text", "is_active", "created_at"]
    list_filter = ["kind", "is_active", "product"]
    list_select_related = ["product"]
    search_fields = ["title", "product__name"]
    readonly_fields = ["created_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["created_at"] if obj is None else ["product", "created_at"]

    def save_model(
        self, request: HttpRequest, obj: MaintenanceWindow, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            changes = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in MAINTENANCE_WINDOW_EDITABLE
            }
            maintenance_window_update(window=obj, changes=changes)
            return
        values = {name: form.cleaned_data.get(name) for name in MAINTENANCE_WINDOW_EDITABLE}
        values["time_zone"] = values["time_zone"] or ""
        values["description"] = values["description"] or ""
        created = maintenance_window_create(product=form.cleaned_data["product"], **values)  # type: ignore[arg-type]
        obj.pk, obj.created_at = created.pk, created.created_at


class IncidentUpdateInline(admin.TabularInline):
    """Past updates are read-only; a new row is posted through ``incident_update``."""

    model = IncidentUpdate
    extra = 1
    fields = ["status", "message", "author", "created_at"]
    readonly_fields = ["author", "created_at"]
    ordering = ["-created_at", "-id"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class IncidentAddForm(forms.ModelForm):
    message = forms.CharField(widget=forms.Textarea, help_text="The first public update.")

    class Meta:
        model = Incident
        fields = ["product", "title", "impact", "status"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    list_display = ["title", "product", "impact", "status", "started_at", "resolved_at"]
    list_filter = ["status", "impact", "product"]
    list_select_related = ["product"]
    search_fields = ["title", "product__name"]
    date_hierarchy = "started_at"
    inlines = [IncidentUpdateInline]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = IncidentAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Status, impact and resolution change by posting an update below.
        return [] if obj is None else ["product", "title", "impact", "status", "started_at", "resolved_at"]

    def get_inlines(
        self, request: HttpRequest, obj: Any = None
    ) -> list[type[admin.options.InlineModelAdmin]]:
        return [] if obj is None else [IncidentUpdateInline]

    def save_model(self, request: HttpRequest, obj: Incident, form: forms.ModelForm, change: bool) -> None:
        if change:
            return  # nothing on the incident itself is editable here
        data = form.cleaned_data
        created = incident_create(
            product=data["product"],
            title=data["title"],
            impact=data["impact"],
            status=data["status"],
            message=data["message"],
            actor=_actor(request),
        )
        obj.pk, obj.started_at = created.pk, created.started_at

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        if formset.model is not IncidentUpdate:
            super().save_formset(request, form, formset, change)
            return
        posted: list[IncidentUpdate] = []
        for update_form in formset.extra_forms:
            if not update_form.has_changed() or update_form.cleaned_data.get("DELETE"):
                continue
            try:
                posted.append(
                    incident_update(
                        incident=form.instance,
                        status=update_form.cleaned_data["status"],
                        message=update_form.cleaned_data["message"],
                        actor=_actor(request),
                    )
                )
            except ApplicationError as error:
                self.message_user(request, error.detail, level=messages.ERROR)
        formset.new_objects, formset.changed_objects, formset.deleted_objects = posted, [], []


@admin.register(StatusSubscription)
class StatusSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["user", "product", "opted_in", "created_at", "updated_at"]
    list_filter = ["opted_in", "product"]
    list_select_related = ["user", "product"]
    search_fields = ["user__username", "user__email", "product__name"]
    actions = ["opt_out_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # users opt in themselves

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Opt the selected users out", permissions=["delete"])
    def opt_out_selected(self, request: HttpRequest, queryset: QuerySet[StatusSubscription]) -> None:
        for subscription in queryset.select_related("user", "product"):
            status_subscription_unset(user=subscription.user, product=subscription.product)
        self.message_user(request, "Opted out.")
