"""The catalogues: the codes to send when opening a case."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics

from accounts.models import Product
from cases.api.serializers import (
    ApplicationAreaOutputSerializer,
    CatalogEntryOutputSerializer,
    OutOfScopeReasonOutputSerializer,
    ProductOutputSerializer,
)
from cases.models import ApplicationArea, CaseReason, OutOfScopeReason


def _catalog_view(
    name: str, model: type[Any], serializer: type[Any], **filters: Any
) -> type[generics.ListAPIView]:
    @extend_schema_view(
        get=extend_schema(
            operation_id=f"catalog_{name}_list",
            summary=f"List {name.replace('_', ' ').replace('out of scope', 'out-of-scope')}",
        )
    )
    class CatalogApi(generics.ListAPIView):
        serializer_class = serializer
        pagination_class = None

        def get_queryset(self) -> QuerySet[Any]:
            return model.objects.filter(is_active=True, **filters)

    CatalogApi.__name__ = CatalogApi.__qualname__ = f"Catalog{name.title().replace('_', '')}Api"
    CatalogApi.__doc__ = f"Active {name.replace('_', ' ')} (codes to send when opening a case)."
    return CatalogApi


CaseReasonListApi = _catalog_view("case_reasons", CaseReason, CatalogEntryOutputSerializer)

ApplicationAreaListApi = _catalog_view("application_areas", ApplicationArea, ApplicationAreaOutputSerializer)

OutOfScopeReasonListApi = _catalog_view(
    "out_of_scope_reasons", OutOfScopeReason, OutOfScopeReasonOutputSerializer
)

ProductListApi = _catalog_view("products", Product, ProductOutputSerializer)
