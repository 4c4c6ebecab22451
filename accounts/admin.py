from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from accounts.models import (
    AuditRecord,
    AuthorizationRequest,
    Company,
    CompanyEmailDomain,
    Membership,
    Partner,
    PartnerEstablishment,
    Product,
    ProductInstance,
    User,
)
from accounts.services import (
    api_tokens_revoke_all,
    authorization_request_approve,
    authorization_request_reject,
)
from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError


class MembershipInline(admin.StackedInline):
    model = Membership
    fk_name = "user"
    extra = 0


class PasswordChangeRevokingTokensForm(AdminPasswordChangeForm):
    """The admin's password form: a new (or no) password also revokes the user's API tokens."""

    def save(self, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save(commit=commit)
            if commit:
                api_tokens_revoke_all(user=user)
        return user


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("Casedesk", {"fields": ("language",)}))
    inlines = [MembershipInline]
    change_password_form = PasswordChangeRevokingTokensForm

    # A user deactivated here, or whose membership is disabled here, loses their API tokens as through
    # the services (the token check refuses an inactive user anyway; a reactivation must not revive them).
    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            api_tokens_revoke_all(user=obj)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        disabled = any(
            isinstance(inline.instance, Membership)
            and "status" in inline.changed_data
            and inline.instance.status == Membership.Status.DISABLED
            for inline in formset.forms
        )
        if disabled:
            api_tokens_revoke_all(user=form.instance)


class EmailDomainInline(admin.TabularInline):
    model = CompanyEmailDomain
    extra = 0


class ProductInstanceInline(admin.TabularInline):
    model = ProductInstance
    extra = 0


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "country",
        "subdivision",
        "plan_tier",
        "language",
        "time_zone",
        "implementing_partner",
        "is_active",
    ]
    list_filter = ["country", "plan_tier", "language", "is_active"]
    list_select_related = ["implementing_partner"]
    search_fields = ["name", "email_domains__domain"]
    inlines = [EmailDomainInline, ProductInstanceInline]


class EstablishmentInline(admin.TabularInline):
    model = PartnerEstablishment
    extra = 0


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name"]
    inlines = [EstablishmentInline]


@admin.register(PartnerEstablishment)
class PartnerEstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "partner"]
    list_select_related = ["partner"]
    filter_horizontal = ["clients"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_active"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "company", "establishment", "role", "status"]
    list_filter = ["role", "status"]
    list_select_related = ["user", "company", "establishment__partner"]
    search_fields = ["user__username", "user__email", "company__name"]
    # Role and status change through the audited service (members API), not by editing rows here.
    readonly_fields = ["role", "status"]


@admin.register(AuthorizationRequest)
class AuthorizationRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "company",
        "subject_user",
        "requested_by",
        "request_channel",
        "status",
        "created_at",
    ]
    list_filter = ["status", "kind", "request_channel"]
    list_select_related = ["company", "subject_user", "requested_by"]
    search_fields = ["company__name", "subject_user__username", "requested_by__username"]
    actions = ["approve_selected", "reject_selected"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuthorizationRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _decide(self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest], approve: bool) -> None:
        decide = authorization_request_approve if approve else authorization_request_reject
        user = request.user
        assert isinstance(user, User)
        for item in queryset.select_related("company"):
            try:
                decide(request=item, decided_by=user, channel=AuthorizationRequest.Channel.ADMIN)
            except ApplicationError as error:
                self.message_user(request, f"#{item.pk}: {error.detail}", level=messages.WARNING)
            else:
                self.message_user(request, f"#{item.pk}: {'approved' if approve else 'rejected'}.")

    @admin.action(description="Approve selected requests", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected requests", permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest]) -> None:
        self._decide(request, queryset, approve=False)


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "company", "subject_user", "actor", "channel"]
    list_filter = ["action", "channel"]
    list_select_related = ["company", "subject_user", "actor"]
    date_hierarchy = "created_at"
