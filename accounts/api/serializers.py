from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.models import AuthorizationRequest, Company, Membership, ProductInstance, User
from accounts.selectors import PartnerScope
from core.api.serializers import IdField, InputSerializer, OutputModelSerializer, QueryInputSerializer


class ProductInstanceOutputSerializer(OutputModelSerializer):
    product = serializers.CharField(source="product.name")
    product_code = serializers.CharField(source="product.code")

    class Meta:
        model = ProductInstance
        fields = ["id", "product", "product_code", "environment", "name"]


class CompanyOutputSerializer(OutputModelSerializer):
    sla_band = serializers.IntegerField()
    requires_dsu = serializers.BooleanField()
    email_domains: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="domain", many=True, read_only=True
    )
    implementing_partner = serializers.CharField(
        source="implementing_partner.name", allow_null=True, default=None
    )
    product_instances = ProductInstanceOutputSerializer(many=True)

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "country",
            "subdivision",
            "time_zone",
            "language",
            "plan_tier",
            "sla_band",
            "requires_dsu",
            "case_visibility",
            "email_domains",
            "implementing_partner",
            "product_instances",
            "is_active",
        ]


class UserBriefOutputSerializer(OutputModelSerializer):
    name = serializers.CharField(source="__str__")

    class Meta:
        model = User
        fields = ["id", "username", "name", "email"]


class MembershipOutputSerializer(OutputModelSerializer):
    user = UserBriefOutputSerializer()

    class Meta:
        model = Membership
        fields = ["user", "role", "status", "created_at"]


class MembershipUpdateInputSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    status = serializers.ChoiceField(choices=Membership.Status.choices, required=False)

    def validate(self, attrs: dict[str, str]) -> dict[str, str]:
        if not attrs:
            raise serializers.ValidationError(_("Give a role, a status, or both."), code="empty_update")
        return attrs


class MeOrganisationOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["company", "partner_establishment"])
    id = serializers.IntegerField()
    name = serializers.CharField()
    partner = serializers.CharField(allow_null=True)


class MePermissionsOutputSerializer(serializers.Serializer):
    can_open_cases = serializers.BooleanField(
        help_text="For the own company (members) or any served client (partners)."
    )
    can_manage_members = serializers.BooleanField()
    can_decide_authorization_requests = serializers.BooleanField()
    is_support_staff = serializers.BooleanField()
    is_support_manager = serializers.BooleanField()


class MeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField(allow_blank=True)
    language = serializers.CharField()
    organisation = MeOrganisationOutputSerializer(allow_null=True)
    role = serializers.ChoiceField(choices=Membership.Role.choices, allow_null=True)
    status = serializers.ChoiceField(choices=Membership.Status.choices, allow_null=True)
    permissions = MePermissionsOutputSerializer()
    client_companies = serializers.ListField(
        child=serializers.IntegerField(), help_text="Partners: served clients."
    )


class AuthorizationRequestOutputSerializer(OutputModelSerializer):
    subject_user = UserBriefOutputSerializer()
    requested_by = UserBriefOutputSerializer()
    decided_by = UserBriefOutputSerializer(allow_null=True)

    class Meta:
        model = AuthorizationRequest
        fields = [
            "id",
            "company",
            "kind",
            "subject_user",
            "requested_role",
            "requested_by",
            "request_channel",
            "reason",
            "status",
            "decided_by",
            "decision_channel",
            "decided_at",
            "decision_reason",
            "created_at",
            "expires_at",
        ]


class AuthorizationRequestCreateInputSerializer(InputSerializer):
    kind = serializers.ChoiceField(choices=AuthorizationRequest.Kind.choices)
    subject_user = IdField(help_text="The user concerned: a member of the company.")
    requested_role = serializers.ChoiceField(choices=Membership.Role.choices, required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    company = IdField(required=False, help_text="Staff only: the company; members use their own.")
    case = IdField(
        required=False,
        help_text="Raise it from an open case (channel case_comment): a public comment on the case names it.",
    )


class AuthorizationRequestDecisionInputSerializer(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PartnerScopeQuerySerializer(QueryInputSerializer):
    scope = serializers.ChoiceField(
        choices=[s.value for s in PartnerScope],
        default=PartnerScope.ESTABLISHMENT.value,
        help_text="Partner users: 'establishment' (own clients, default) or 'partner' (every establishment's).",
    )


class PasswordResetConfirmInputSerializer(InputSerializer):
    uid = serializers.CharField()
    token = serializers.CharField()
    new_password = serializers.CharField(write_only=True)

    def validate(self, attrs: dict[str, str]) -> dict[str, object]:
        try:
            user = User.objects.get(pk=force_str(urlsafe_base64_decode(attrs["uid"])), is_active=True)
        except (User.DoesNotExist, ValueError, TypeError, OverflowError):
            user = None
        if user is None or not default_token_generator.check_token(user, attrs["token"]):
            raise serializers.ValidationError(
                _("The reset link is invalid or has expired."), code="invalid_token"
            )
        validate_password(attrs["new_password"], user)
        return {"user": user, "new_password": attrs["new_password"]}


class TokenObtainInputSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class TokenObtainOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown only here.")
    expiry = serializers.DateTimeField(help_text="The token stops working then (API_TOKEN_TTL_HOURS).")


class ApiTokenOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="token_key", help_text="The token's first characters: its name here.")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField()
    current = serializers.BooleanField(help_text="The token this request was made with.")
