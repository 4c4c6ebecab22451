from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from cases.models import CaseEvent
from core.api.serializers import IdField, InputSerializer, OutputModelSerializer
from notifications.models import Notification, SatisfactionSurvey, WebhookEndpoint


def _event_types_field(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=CaseEvent.Type.choices),
        help_text="Case event types to receive (docs/webhooks.md); empty: every event.",
        **kwargs,
    )


class WebhookCreateInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=500)
    event_types = _event_types_field(required=False, default=list)
    company = IdField(required=False, help_text="Staff only; managers register for their company.")


class WebhookUpdateInputSerializer(InputSerializer):
    event_types = _event_types_field(required=False)
    is_active = serializers.BooleanField(required=False, help_text="False: no event is delivered.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Silently ignoring ``url`` would let a client believe it moved the endpoint: refuse it.
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {
                    name: [ErrorDetail(_("This field cannot be changed."), code="read_only")]
                    for name in unknown
                }
            )
        return attrs


class WebhookOutputSerializer(OutputModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "company",
            "url",
            "event_types",
            "is_active",
            "created_at",
            "secret_rotated_at",
            "previous_secret_expires_at",
        ]
        extra_kwargs = {
            "previous_secret_expires_at": {
                "help_text": "After a rotation: until when the previous secret still signs deliveries."
            }
        }


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="Shown once: the Standard Webhooks secret (`whsec_…`) that verifies `webhook-signature`."
    )

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class WebhookDeliveryOutputSerializer(OutputModelSerializer):
    message_id = serializers.CharField(
        help_text="The delivery's `webhook-id` header (the same on every attempt)."
    )
    event_type = serializers.CharField(source="kind")
    payload = serializers.JSONField(source="context", help_text="The JSON body sent.")
    next_attempt_at = serializers.SerializerMethodField(help_text="A pending delivery's next attempt.")

    class Meta:
        model = Notification
        fields = [
            "id",
            "message_id",
            "event_type",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "next_attempt_at",
            "payload",
        ]

    def get_next_attempt_at(self, row: Notification) -> datetime | None:
        return row.next_attempt_at if row.status == Notification.Status.PENDING else None


class SurveyAnswerInputSerializer(InputSerializer):
    rating = serializers.ChoiceField(choices=SatisfactionSurvey.Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SurveyOutputSerializer(OutputModelSerializer):
    case_number = serializers.CharField(source="case.number")

    class Meta:
        model = SatisfactionSurvey
        fields = ["case_number", "rating", "comment", "answered_at"]
