from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefOutputSerializer
from accounts.models import Product
from cases.models import (
    ApplicationArea,
    Attachment,
    BusinessImpact,
    BusinessImpactScope,
    Case,
    CaseEvent,
    CaseFollower,
    CaseReason,
    CaseStatus,
    Comment,
    EscalationRequest,
    OutOfScopeReason,
    Priority,
    WhoseMove,
)
from cases.selectors import TRANSITION_INPUTS
from core.api.serializers import CodeRelatedField, IdField, InputSerializer, OutputModelSerializer

# --- input ----------------------------------------------------------------------------------------


class CaseCreateInputSerializer(InputSerializer):
    company = IdField(
        required=False, help_text="Partners and staff: the client company. Members: their own (default)."
    )
    product_instance = IdField(required=False, help_text="Required unless follow_up_of is given.")
    subject = serializers.CharField(max_length=200)
    problem_summary = serializers.CharField(max_length=20000)
    error_message = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    occurred_at = serializers.DateTimeField(required=False, allow_null=True)
    users_affected = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    replication_steps = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    expected_result = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    worked_before = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    troubleshooting_tried = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = CodeRelatedField(queryset=CaseReason.objects.all())
    application_area = CodeRelatedField(queryset=ApplicationArea.objects.all())
    business_impact_scope = serializers.ChoiceField(choices=BusinessImpactScope.choices)
    business_impact = serializers.ChoiceField(choices=BusinessImpact.choices)
    follow_up_of = IdField(required=False, help_text="A closed case this one follows up.")


class CaseTransitionInputSerializer(InputSerializer):
    transition = serializers.ChoiceField(choices=sorted(TRANSITION_INPUTS))
    message = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    tentative_release_date = serializers.DateField(required=False)
    out_of_scope_reason = CodeRelatedField(queryset=OutOfScopeReason.objects.all(), required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CommentCreateInputSerializer(InputSerializer):
    body = serializers.CharField(max_length=50000)
    is_internal = serializers.BooleanField(default=False)


class AttachmentCreateInputSerializer(InputSerializer):
    file = serializers.FileField(allow_empty_file=False, use_url=False)
    comment = IdField(required=False, help_text="Attach to one of the case's comments.")


class EscalationCreateInputSerializer(InputSerializer):
    message = serializers.CharField(max_length=20000)


class EscalationDecisionInputSerializer(InputSerializer):
    reason = serializers.CharField(max_length=5000)


class PriorityOverrideInputSerializer(InputSerializer):
    priority = serializers.ChoiceField(choices=Priority.choices)
    reason = serializers.CharField(max_length=5000)


class AssignInputSerializer(InputSerializer):
    assignee = IdField(allow_null=True, help_text="A support analyst's user id, or null.")


# --- output ---------------------------------------------------------------------------------------


class CatalogEntryOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ApplicationAreaOutputSerializer(CatalogEntryOutputSerializer):
    product = serializers.CharField(source="product.code", allow_null=True, default=None)


class OutOfScopeReasonOutputSerializer(CatalogEntryOutputSerializer):
    referral = serializers.CharField()


class ProductOutputSerializer(OutputModelSerializer):
    class Meta:
        model = Product
        fields = ["code", "name"]


class AvailableTransitionOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    target = serializers.ChoiceField(choices=CaseStatus.choices)
    required_fields = serializers.ListField(child=serializers.CharField())


class SlaTimerOutputSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=["first_response", "next_update", "resolution"])
    state = serializers.ChoiceField(
        choices=["running", "paused", "warning", "breached", "met", "not_applicable"]
    )
    target_minutes = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="UTC.")
    due_at_local = serializers.CharField(allow_null=True, help_text="ISO 8601 in the company's time zone.")
    time_zone = serializers.CharField()
    business_seconds_remaining = serializers.IntegerField(
        allow_null=True, help_text="Business time left in the timer's calendar; negative once past due."
    )
    started_at = serializers.DateTimeField(allow_null=True)
    met_at = serializers.DateTimeField(allow_null=True)
    breached_at = serializers.DateTimeField(allow_null=True)


class CaseListOutputSerializer(OutputModelSerializer):
    company = serializers.CharField(source="company.name")
    company_id = serializers.IntegerField()
    product = serializers.CharField(source="product_instance.product.name")
    environment = serializers.CharField(source="product_instance.environment")
    assignee = UserBriefOutputSerializer(allow_null=True)
    whose_move = serializers.ChoiceField(choices=WhoseMove.choices)
    following = serializers.BooleanField(
        help_text="Whether you get this case's notices: you opened it, it was opened for you, or you "
        "follow it (and may still). Always false for support staff."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "number",
            "subject",
            "company",
            "company_id",
            "product",
            "environment",
            "priority",
            "status",
            "whose_move",
            "assignee",
            "escalation_level",
            "following",
            "created_at",
            "updated_at",
        ]


class _CatalogueCodeField(serializers.CharField):
    """``<field>.code``, read from the ``<field>_code`` annotation of ``case_detail_get_for_user`` when
    present (no join, no query), else from the related row."""

    def get_attribute(self, instance: Any) -> Any:
        code = getattr(instance, f"{self.field_name}_code", None)
        return code if code is not None else super().get_attribute(instance)


class CaseDetailOutputSerializer(CaseListOutputSerializer):
    product_instance = IdField(source="product_instance_id")
    opened_by = UserBriefOutputSerializer()
    on_behalf_of = UserBriefOutputSerializer(allow_null=True)
    reason = _CatalogueCodeField(source="reason.code")
    application_area = _CatalogueCodeField(source="application_area.code")
    out_of_scope_reason: serializers.SlugRelatedField[OutOfScopeReason] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )
    follow_up_of = IdField(source="follow_up_of_id", allow_null=True)
    reopen_until = serializers.DateTimeField(allow_null=True)
    available_transitions = serializers.SerializerMethodField()
    sla = serializers.SerializerMethodField()

    class Meta(CaseListOutputSerializer.Meta):
        fields = [
            *CaseListOutputSerializer.Meta.fields,
            "product_instance",
            "opened_by",
            "on_behalf_of",
            "problem_summary",
            "error_message",
            "occurred_at",
            "users_affected",
            "replication_steps",
            "expected_result",
            "worked_before",
            "troubleshooting_tried",
            "reason",
            "application_area",
            "business_impact_scope",
            "business_impact",
            "priority_overridden",
            "status_changed_at",
            "tentative_release_date",
            "resolution",
            "out_of_scope_reason",
            "auto_close_at",
            "closed_at",
            "reopen_until",
            "follow_up_of",
            "available_transitions",
            "sla",
        ]

    @extend_schema_field(SlaTimerOutputSerializer(many=True))
    def get_sla(self, obj: Case) -> Any:
        """Passed in context by the view (``sla_timer_summaries``)."""
        return SlaTimerOutputSerializer(self.context.get("sla", []), many=True).data

    @extend_schema_field(AvailableTransitionOutputSerializer(many=True))
    def get_available_transitions(self, obj: Case) -> list[dict[str, Any]]:
        """Computed by the view for the calling user (``available_transitions_for``) and passed in context."""
        return [
            {"name": t.name, "target": t.target, "required_fields": list(t.required_fields)}
            for t in self.context.get("available_transitions", [])
        ]


class CaseFollowOutputSerializer(serializers.Serializer):
    """A follow row, as the caller's follow state (the case's ``following`` reads the same)."""

    case = IdField(source="case_id")
    following = serializers.SerializerMethodField()
    since = serializers.DateTimeField(source="created_at")

    def get_following(self, obj: CaseFollower) -> bool:
        return True


class AttachmentOutputSerializer(OutputModelSerializer):
    uploaded_by = UserBriefOutputSerializer()
    comment = IdField(source="comment_id", allow_null=True)

    class Meta:
        model = Attachment
        fields = ["id", "filename", "content_type", "size", "comment", "uploaded_by", "created_at"]


class CommentOutputSerializer(OutputModelSerializer):
    author = UserBriefOutputSerializer()
    author_is_support = serializers.BooleanField(source="author.is_staff")
    attachments = AttachmentOutputSerializer(many=True)

    class Meta:
        model = Comment
        fields = [
            "id",
            "body",
            "is_internal",
            "is_escalation_request",
            "author",
            "author_is_support",
            "source",
            "attachments",
            "created_at",
        ]


class CaseEventOutputSerializer(OutputModelSerializer):
    actor = UserBriefOutputSerializer(allow_null=True, help_text="Null: the system.")

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "type",
            "actor",
            "transition",
            "from_status",
            "to_status",
            "note",
            "data",
            "created_at",
        ]


class EscalationOutputSerializer(OutputModelSerializer):
    requested_by = UserBriefOutputSerializer()
    decided_by = UserBriefOutputSerializer(allow_null=True)
    message = serializers.CharField(source="comment.body")

    class Meta:
        model = EscalationRequest
        fields = [
            "id",
            "status",
            "message",
            "requested_by",
            "decided_by",
            "decided_at",
            "decision_reason",
            "created_at",
        ]
