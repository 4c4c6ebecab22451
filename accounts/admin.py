from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST

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
    authorization_request_decide,
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


class DecisionReasonForm(forms.Form):
    """A support manager's decision on an authorisation request: approval may say why, rejection must."""

    reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Recorded with the decision and sent to the people told about it. Required to reject.",
    )


class BulkDecisionForm(DecisionReasonForm):
    """The intermediate page of the list's approve/reject actions: it posts the selection back."""

    apply = forms.CharField(widget=forms.HiddenInput, initial="1")
    action = forms.CharField(widget=forms.HiddenInput)
    select_across = forms.CharField(widget=forms.HiddenInput, required=False)


@admin.register(AuthorizationRequest)
class AuthorizationRequestAdmin(admin.ModelAdmin):
    """Support managers decide requests raised by e-mail or on a case: Approve or Reject on the
    request's page (with a reason), or several at once from the list; every decision goes through
    ``authorization_request_decide``."""

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
    change_form_template = "admin/accounts/authorizationrequest/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuthorizationRequest]:
        return (
            super()
            .get_queryset(request)
            .select_related("company", "subject_user", "requested_by", "decided_by")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in AuthorizationRequest._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        decide = self.admin_site.admin_view(require_POST(self.decide_view))
        return [
            path("<int:request_id>/decide/", decide, name="accounts_authorizationrequest_decide"),
            *super().get_urls(),
        ]

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":  # the page decides through decide_view; it never saves the row
            return HttpResponseRedirect(request.path)
        obj = self.get_object(request, object_id)
        can_decide = bool(
            obj is not None
            and obj.status == AuthorizationRequest.Status.PENDING
            and self.has_change_permission(request, obj)
        )
        context = {
            "decision_form": DecisionReasonForm(),
            "can_decide": can_decide,
            "decide_url": reverse("admin:accounts_authorizationrequest_decide", args=[obj.pk]) if obj else "",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request: HttpRequest, request_id: int) -> HttpResponse:
        item = self.get_queryset(request).filter(pk=request_id).first()
        if item is None or not self.has_change_permission(request, item):
            raise PermissionDenied
        decision = request.POST.get("decision", "")
        form = DecisionReasonForm(request.POST)
        page = reverse("admin:accounts_authorizationrequest_change", args=[item.pk])
        if decision not in ("approve", "reject") or not form.is_valid():
            self.message_user(
                request, "Choose Approve or Reject (a reason has at most 2,000 characters).", messages.ERROR
            )
            return HttpResponseRedirect(page)
        reason = form.cleaned_data["reason"].strip()
        if decision == "reject" and not reason:
            self.message_user(
                request,
                "Say why the request is rejected: the reason is sent with the decision.",
                messages.ERROR,
            )
            return HttpResponseRedirect(page)
        self._decide_one(request, item, approve=decision == "approve", reason=reason)
        return HttpResponseRedirect(page)

    def _decide_one(
        self, request: HttpRequest, item: AuthorizationRequest, *, approve: bool, reason: str
    ) -> None:
        user = request.user
        assert isinstance(user, User)
        try:
            authorization_request_decide(
                request=item,
                decided_by=user,
                approve=approve,
                reason=reason,
                channel=AuthorizationRequest.Channel.ADMIN,
            )
        except ApplicationError as error:
            self.message_user(request, f"#{item.pk}: {error.detail}", level=messages.WARNING)
        else:
            self.message_user(request, f"#{item.pk}: {'approved' if approve else 'rejected'}.")

    def _decide(
        self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest], approve: bool
    ) -> TemplateResponse | None:
        initial = {
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
        }
        form = BulkDecisionForm(request.POST if "apply" in request.POST else None, initial=initial)
        valid = form.is_bound and form.is_valid()
        if valid and not approve and not form.cleaned_data["reason"].strip():
            form.add_error("reason", "Say why the requests are rejected.")
            valid = False
        if not valid:
            verb = "Approve" if approve else "Reject"
            context = {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"{verb} authorisation requests",
                "form": form,
                "objects": [
                    (
                        item.pk,
                        f"#{item.pk} {item.get_kind_display()} — {item.subject_user}",
                        str(item.company),
                    )
                    for item in queryset.select_related("company", "subject_user")
                ],
                "selected_name": ACTION_CHECKBOX_NAME,
                "submit_label": verb,
            }
            return TemplateResponse(request, "admin/cases/bulk_action.html", context)
        for item in queryset.select_related("company"):
            self._decide_one(request, item, approve=approve, reason=form.cleaned_data["reason"].strip())
        return None

    @admin.action(description="Approve selected requests…", permissions=["change"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest]
    ) -> TemplateResponse | None:
        return self._decide(request, queryset, approve=True)

    @admin.action(description="Reject selected requests…", permissions=["change"])
    def reject_selected(
        self, request: HttpRequest, queryset: QuerySet[AuthorizationRequest]
    ) -> TemplateResponse | None:
        return self._decide(request, queryset, approve=False)


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "company", "subject_user", "actor", "channel"]
    list_filter = ["action", "channel"]
    list_select_related = ["company", "subject_user", "actor"]
    date_hierarchy = "created_at"
