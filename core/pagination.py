from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from core.errors import INVALID_CURSOR, ValidationFailed


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
        if maximum is not None:
            detail = _("'%(name)s' must be an integer, %(minimum)s to %(maximum)s.")
        else:
            detail = _("'%(name)s' must be an integer, at least %(minimum)s.")
        raise ValidationFailed(
            detail % {"name": name, "minimum": minimum, "maximum": maximum}, code="invalid_pagination"
        )
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
    """DRF's cursor pagination. ``paginate_queryset`` does what DRF 3.18's does, step for step, but
    for checking the cursor's position against the ordering field (``_position_value``)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any] | None:
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self.cursor = self.decode_cursor(request)
        offset, reverse, position_text = (0, False, None) if self.cursor is None else self.cursor
        current_position: Any = position_text  # text (DRF's type stubs say int)

        ordering = pagination._reverse_ordering(self.ordering) if reverse else self.ordering
        queryset = queryset.order_by(*ordering)
        if current_position is not None:
            order = self.ordering[0]
            # (cursor reversed) XOR (ordering descending): rows before the position, else after it
            before = reverse != order.startswith("-")
            name = order.lstrip("-")
            value = self._position_value(queryset.model, name, current_position)
            queryset = queryset.filter(**{f"{name}__{'lt' if before else 'gt'}": value})
        # The page and the first row of the next one, if any.
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = list(results[: self.page_size])

        # The position of the first row past the page, if there is one.
        following_position: Any
        if len(results) > len(self.page):
            has_following_position = True
            following_position = self._get_position_from_instance(results[-1], self.ordering)
        else:
            has_following_position = False
            following_position = None

        if reverse:
            # Read in reverse order: put the rows back in the order the client asked for.
            self.page = list(reversed(self.page))
            self.has_next = (current_position is not None) or (offset > 0)
            self.has_previous = has_following_position
            if self.has_next:
                self.next_position = current_position
            if self.has_previous:
                self.previous_position = following_position
        else:
            self.has_next = has_following_position
            self.has_previous = (current_position is not None) or (offset > 0)
            if self.has_next:
                self.next_position = following_position
            if self.has_previous:
                self.previous_position = current_position

        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page

    def _position_value(self, model: type[Model], name: str, text: str) -> Any:
        """The cursor's position as a value of the ordering field. A position no such value has (or a
        datetime without its zone) comes from a cursor not made here: invalid, as DRF answers a
        cursor it cannot decode, rather than an error from deep in the ORM."""
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:  # a path through a relation: left to the ORM
            return text
        try:
            value = field.to_python(text)  # type: ignore[union-attr]
        except ValidationError:
            raise INVALID_CURSOR.error() from None
        if isinstance(value, datetime) and value.tzinfo is None:
            raise INVALID_CURSOR.error()
        return value

    def decode_cursor(self, request: Request) -> Any:
        """DRF's, but a cursor it cannot decode is the client's error (400 ``invalid_cursor``), not a
        missing page (DRF answers 404)."""
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise INVALID_CURSOR.error() from None

    def get_page_size(self, request: Request) -> int:
        size = _query_int(request, self.page_size_query_param, minimum=1, maximum=self.max_page_size)
        return self.page_size if size is None else size

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return parameters
