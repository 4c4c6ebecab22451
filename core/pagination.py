from __future__ import annotations

from typing import Any

from rest_framework import pagination
from rest_framework.request import Request

from core.errors import ValidationFailed


def _query_int(request: Request, name: str, *, minimum: int, maximum: int | None = None) -> int | None:
    """A paging parameter: absent → None; anything but an integer in range → 400 (never silently ignored)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum or (maximum is not None and value > maximum):
        bounds = f"{minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValidationFailed(f"'{name}' must be an integer, {bounds}.", code="invalid_pagination")
    return value


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    default_limit = 25
    max_limit = 100

    def get_limit(self, request: Request) -> int | None:
        limit = _query_int(request, self.limit_query_param, minimum=1, maximum=self.max_limit)
        return self.default_limit if limit is None else limit

    def get_offset(self, request: Request) -> int:
        return _query_int(request, self.offset_query_param, minimum=0) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            bounds = (
                {"minimum": 1, "maximum": self.max_limit} if parameter["name"] == "limit" else {"minimum": 0}
            )
            parameter["schema"].update(bounds)
        return parameters


class CursorPagination(pagination.CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request: Request) -> int:
        size = _query_int(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters
