"""The API's filter backend: django-filter's, without the cost of a filter form nobody asked for."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import filters
from rest_framework.request import Request

from core.errors import INVALID_ORDERING


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that leaves the queryset alone when the request names none of the
    filter set's parameters (a plain list page, a cursor link): building and validating the filter
    form is a visible share of every such page, to change nothing. Our filter sets have no defaults, so
    with no parameter given no filter applies either way (tests/core/test_filters.py)."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            _names_filter(param, name)
            for param in request.query_params
            for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


def _names_filter(param: str, name: str) -> bool:
    # Range-like filters read suffixed parameters (``<name>_min``, ``<name>_after``...).
    return param == name or param.startswith(f"{name}_")


class OrderingFilter(filters.OrderingFilter):
    """DRF's ``ordering`` parameter, refusing what it cannot order by (400 ``invalid_ordering`` with
    the ``allowed`` fields) where DRF silently falls back to the default order: a client that asked
    for an order it did not get would read the wrong first page as the right one."""

    def remove_invalid_fields(
        self, queryset: QuerySet[Any], fields: Iterable[str], view: Any, request: Request
    ) -> list[str]:
        fields = list(fields)
        allowed = [name for name, _ in self.get_valid_fields(queryset, view, {"request": request})]
        unknown = [term for term in fields if term.removeprefix("-") not in allowed]
        if unknown:
            raise INVALID_ORDERING.error(
                _(
                    "Unknown ordering %(unknown)s. Order by one or more of: %(allowed)s (a leading '-' for "
                    "descending, comma-separated)."
                )
                % {"unknown": ", ".join(repr(term) for term in unknown), "allowed": ", ".join(allowed)},
                allowed=allowed,
            )
        return fields

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        allowed = [str(name) for name in getattr(view, "ordering_fields", None) or []]
        for parameter in parameters:
            parameter["description"] = (
                f"Order by one or more of {', '.join(allowed)}, comma-separated; a leading '-' for "
                "descending. Anything else is 400 `invalid_ordering`."
            )
        return parameters
