from rest_framework import serializers

from cases.models import CaseEvent
from core.api.serializers import IdField, InputSerializer, OutputModelSerializer
from notifications.models import SatisfactionSurvey, WebhookEndpoint


class WebhookCreateInputSerializer(InputSerializer):
    url = serializers.URLField(max_length=500)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=CaseEvent.Type.choices), required=False, default=list
    )
    company = IdField(required=False, help_text="Staff only; managers register for their company.")


class WebhookOutputSerializer(OutputModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "company", "url", "event_types", "is_active", "created_at"]


class WebhookCreatedOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(help_text="Shown once: keep it to verify X-Casedesk-Signature.")

    class Meta(WebhookOutputSerializer.Meta):
        fields = [*WebhookOutputSerializer.Meta.fields, "secret"]


class SurveyAnswerInputSerializer(InputSerializer):
    rating = serializers.ChoiceField(choices=SatisfactionSurvey.Rating.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SurveyOutputSerializer(OutputModelSerializer):
    case_number = serializers.CharField(source="case.number")

    class Meta:
        model = SatisfactionSurvey
        fields = ["case_number", "rating", "comment", "answered_at"]


class InboundEmailOutputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["commented", "decided", "refused"])
    reason = serializers.CharField()
