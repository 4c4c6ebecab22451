from __future__ import annotations

import re
from datetime import UTC

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField

from accounts.models import ProductInstance, User
from cases.models import Case, CaseStatus, Priority
from cases.search.selectors import case_search_filter

RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$", re.IGNORECASE)


class Rfc3339DateTimeField(IsoDateTimeField):
    """Only RFC 3339 instants (with an offset): the schema says date-time, so nothing looser passes."""

    def to_python(self, value: object) -> object:
        if value not in self.empty_values and not (isinstance(value, str) and RFC3339.match(value)):
            raise forms.ValidationError(
                _("Enter an RFC 3339 date-time with an offset, e.g. 2026-06-01T09:00:00Z."), code="invalid"
            )
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:  # PostgreSQL takes offsets up to ±15:59 only; RFC 3339 allows ±23:59, so compare in UTC
            return parsed.astimezone(UTC)
        except OverflowError as exc:
            raise forms.ValidationError(_("That instant is out of range."), code="invalid") from exc


class Rfc3339DateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = Rfc3339DateTimeField


class StrictBooleanField(forms.Field):
    """Exactly ``true`` or ``false`` (django-filter also takes "null", "1", "yes"... and ignores junk)."""

    def to_python(self, value: object) -> bool | None:
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("Use true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    company = django_filters.NumberFilter(field_name="company_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = StrictBooleanFilter(field_name="assignee", lookup_expr="isnull")
    product = django_filters.CharFilter(
        field_name="product_instance__product__code", help_text="Product code."
    )
    environment = django_filters.ChoiceFilter(
        field_name="product_instance__environment", choices=ProductInstance.Environment.choices
    )
    created_after = Rfc3339DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = Rfc3339DateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = Rfc3339DateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = Rfc3339DateTimeFilter(field_name="updated_at", lookup_expr="lt")
    escalated = StrictBooleanFilter(method="filter_escalated")
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Cases whose texts match, in the list's order: words of the number, subject, "
        "description, public comments and e-mail replies (staff: internal notes too), partial words "
        "and names of the subject, company and people, or the case number. Ranked results with "
        "snippets: `cases/search/`.",
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def filter_escalated(self, queryset: QuerySet[Case], name: str, value: bool | None) -> QuerySet[Case]:
        if value is None:
            return queryset
        return queryset.filter(escalation_level__gt=0) if value else queryset.filter(escalation_level=0)

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        value = value.strip()
        if not value:
            return queryset
        user = self.request.user if self.request is not None else None
        assert isinstance(user, User)
        return case_search_filter(user=user, query=value, cases=queryset)
