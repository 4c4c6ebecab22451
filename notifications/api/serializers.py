from rest_framework import serializers


class InboundEmailOutputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["commented", "decided", "refused"])
    reason = serializers.CharField()
