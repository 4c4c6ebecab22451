"""A case's history."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from cases.api.serializers import CaseEventOutputSerializer
from cases.api.views.base import CaseScopedApi, request_user
from cases.models import CaseEvent
from cases.selectors import event_list_for_user
from core.pagination import LimitOffsetPagination


@extend_schema_view(get=extend_schema(operation_id="cases_events_list", summary="Read a case's history"))
class CaseEventListApi(CaseScopedApi, generics.ListAPIView):
    """The case's history, oldest first (customers do not see internal events)."""

    serializer_class = CaseEventOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[CaseEvent]:
        if getattr(self, "swagger_fake_view", False):
            return CaseEvent.objects.none()
        return event_list_for_user(user=request_user(self.request), case=self.get_case(preload=False))
