from rest_framework import serializers

from core.api.serializers import InputSerializer, OutputModelSerializer
from notifications.models import SatisfactionSurvey


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
