from rest_framework import serializers

from core.api.serializers import OutputModelSerializer
from sla.models import SlaPolicy, SlaTarget


class SlaTargetOutputSerializer(OutputModelSerializer):
    calendar = serializers.CharField(source="calendar.name")
    calendar_kind = serializers.CharField(source="calendar.kind")

    class Meta:
        model = SlaTarget
        fields = ["metric", "sla_band", "priority", "minutes", "calendar", "calendar_kind"]


class SlaPolicyOutputSerializer(OutputModelSerializer):
    targets = SlaTargetOutputSerializer(many=True)

    class Meta:
        model = SlaPolicy
        fields = ["id", "name", "rank", "targets"]
