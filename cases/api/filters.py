from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from accounts.models import ProductInstance
from cases.models import Case, CaseStatus, Priority


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CaseStatus.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    company = django_filters.NumberFilter(field_name="company_id")
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    unassigned = django_filters.BooleanFilter(field_name="assignee", lookup_expr="isnull")
    product = django_filters.CharFilter(
        field_name="product_instance__product__code", help_text="Product code."
    )
    environment = django_filters.ChoiceFilter(
        field_name="product_instance__environment", choices=ProductInstance.Environment.choices
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    updated_after = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    escalated = django_filters.BooleanFilter(method="filter_escalated")
    search = django_filters.CharFilter(
        method="filter_search", help_text="Number, subject or problem summary."
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
        if value.upper().startswith("CS-"):
            return queryset.filter(number=value.upper())
        return queryset.filter(Q(subject__icontains=value) | Q(problem_summary__icontains=value))
