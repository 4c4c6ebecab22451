from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from accounts.models import User
from sla.api.serializers import SlaPolicyOutputSerializer
from sla.models import SlaPolicy
from sla.selectors import sla_policy_list_for_user


@extend_schema_view(
    get=extend_schema(operation_id="sla_policies_list", summary="List the SLA policies in force")
)
class SlaPolicyListApi(generics.ListAPIView):
    """The SLA policies in force for my company, with every target (minutes of business time)."""

    serializer_class = SlaPolicyOutputSerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[SlaPolicy]:
        if getattr(self, "swagger_fake_view", False):
            return SlaPolicy.objects.none()
        user = self.request.user
        assert isinstance(user, User)
        return sla_policy_list_for_user(user=user)
