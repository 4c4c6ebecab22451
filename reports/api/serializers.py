"""The reports' filters (query string) and their JSON shapes."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UserBriefOutputSerializer
from accounts.models import PlanTier, Product
from cases.models import CaseStatus, Priority
from core.api.serializers import CodeRelatedField, IdField, QueryInputSerializer
from reports.selectors import (
    AGE_BUCKETS,
    REPORT_DEFAULT_WEEKS,
    REPORT_PERIOD_MAX_DAYS,
    REPORTED_METRICS,
    week_label,
)

FILTER_PARAMETERS = frozenset({"from", "to", "company", "product", "priority", "analyst"})


class ReportFilterInputSerializer(QueryInputSerializer):
    """The filters every report takes. ``from`` is a Python keyword, so the period's two fields are
    added in ``get_fields``."""

    company = IdField(required=False, help_text="Company id (a company manager: only their own).")
    product = CodeRelatedField(queryset=Product.objects.all(), required=False, help_text="Product code.")
    priority = serializers.MultipleChoiceField(
        choices=Priority.choices, required=False, help_text="Repeat for several: priority=P1&priority=P2."
    )
    analyst = IdField(required=False, help_text="Support analyst (user id): the case's assignee.")

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False,
            help_text=f"First day (UTC), included. Default: {REPORT_DEFAULT_WEEKS} ISO weeks up to `to`, "
            "this week included.",
        )
        fields["to"] = serializers.DateField(
            required=False,
            help_text=f"Last day (UTC), included. Default: today. At most {REPORT_PERIOD_MAX_DAYS} days from `from`.",
        )
        return fields


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-W\d{2}$", "example": "2026-W23"})
class IsoWeekField(serializers.Field):
    """A week's Monday, written as its ISO 8601 name (``2026-W23``)."""

    def to_representation(self, value: Any) -> str:
        return week_label(value)


class ReportPeriodOutputSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First day (UTC), included.")
    end = serializers.DateField(help_text="Last day (UTC), included.")
    days = serializers.IntegerField()


class ReportFiltersOutputSerializer(serializers.Serializer):
    company = serializers.IntegerField(source="company.pk", allow_null=True, default=None)
    product = serializers.CharField(source="product.code", allow_null=True, default=None)
    priority = serializers.ListField(
        source="priorities", child=serializers.ChoiceField(choices=Priority.choices)
    )
    analyst = serializers.IntegerField(source="analyst.pk", allow_null=True, default=None)


class _ReportOutputSerializer(serializers.Serializer):
    period = ReportPeriodOutputSerializer(source="filters")
    filters = ReportFiltersOutputSerializer()


_METRICS = list(REPORTED_METRICS)


class AttainmentCellOutputSerializer(serializers.Serializer):
    week = IsoWeekField()
    week_start = serializers.DateField(source="week")
    tier = serializers.ChoiceField(choices=PlanTier.choices)
    priority = serializers.ChoiceField(choices=Priority.choices)
    metric = serializers.ChoiceField(choices=_METRICS)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    attainment = serializers.FloatField(allow_null=True, help_text="met / (met + breached).")


class AttainmentWeekOutputSerializer(serializers.Serializer):
    week = IsoWeekField()
    week_start = serializers.DateField(source="week")
    metric = serializers.ChoiceField(choices=_METRICS)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    attainment = serializers.FloatField(allow_null=True)


class AttainmentTotalOutputSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=_METRICS)
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    attainment = serializers.FloatField(allow_null=True)


class SummaryAsOfField(serializers.DateTimeField):
    """When the weekly summary a report read was counted (``reports.services``)."""

    def __init__(self) -> None:
        super().__init__(
            allow_null=True,
            help_text=(
                "null: every figure is live. Otherwise the complete weeks inside the period were read "
                "from the weekly summary, whose stalest weeks are counted again every minute (each "
                "week at least every hour; priority, tier and staff as they were then): the oldest of "
                "those counts."
            ),
        )


class SlaAttainmentReportOutputSerializer(_ReportOutputSerializer):
    cells = AttainmentCellOutputSerializer(many=True, help_text="Week × tier × priority × metric, where any.")
    weeks = AttainmentWeekOutputSerializer(many=True, help_text="Every week of the period × metric.")
    totals = AttainmentTotalOutputSerializer(many=True)
    as_of = SummaryAsOfField()


class DurationPercentilesOutputSerializer(serializers.Serializer):
    metric = serializers.ChoiceField(choices=_METRICS)
    priority = serializers.ChoiceField(choices=Priority.choices, allow_null=True, help_text="null: all.")
    count = serializers.IntegerField()
    p50_seconds = serializers.FloatField(allow_null=True, help_text="Median business time.")
    p90_seconds = serializers.FloatField(allow_null=True)


class ResponseTimesReportOutputSerializer(_ReportOutputSerializer):
    rows = DurationPercentilesOutputSerializer(many=True)
    as_of = SummaryAsOfField()


class BacklogRowOutputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c for c in CaseStatus.choices if c[0] != CaseStatus.CLOSED])
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Age bucket → cases: " + ", ".join(b.code for b in AGE_BUCKETS),
    )
    total = serializers.IntegerField()


class AgeBucketOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(source="label")
    min_days = serializers.SerializerMethodField()
    max_days = serializers.SerializerMethodField()

    def get_min_days(self, bucket: Any) -> int:
        return int(bucket.lower.days)

    def get_max_days(self, bucket: Any) -> int | None:
        return None if bucket.upper is None else int(bucket.upper.days)


class BacklogReportOutputSerializer(_ReportOutputSerializer):
    as_of = serializers.DateTimeField()
    buckets = serializers.SerializerMethodField()
    rows = BacklogRowOutputSerializer(many=True)
    total = serializers.IntegerField()

    @extend_schema_field(AgeBucketOutputSerializer(many=True))
    def get_buckets(self, report: Any) -> Any:
        return AgeBucketOutputSerializer(AGE_BUCKETS, many=True).data


class ReopenWeekOutputSerializer(serializers.Serializer):
    week = IsoWeekField()
    week_start = serializers.DateField(source="week")
    closed = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True, help_text="reopened / closed.")


class ReopenTotalOutputSerializer(serializers.Serializer):
    closed = serializers.IntegerField()
    reopened = serializers.IntegerField()
    reopen_rate = serializers.FloatField(allow_null=True)


class ReopenReportOutputSerializer(_ReportOutputSerializer):
    weeks = ReopenWeekOutputSerializer(many=True)
    total = ReopenTotalOutputSerializer()
    as_of = SummaryAsOfField()


class EscalationReportWeekOutputSerializer(serializers.Serializer):
    week = IsoWeekField()
    week_start = serializers.DateField(source="week")
    requested = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    pending = serializers.IntegerField()


class EscalationReportTotalOutputSerializer(serializers.Serializer):
    requested = serializers.IntegerField()
    accepted = serializers.IntegerField()
    declined = serializers.IntegerField()
    pending = serializers.IntegerField()


class EscalationReportOutputSerializer(_ReportOutputSerializer):
    weeks = EscalationReportWeekOutputSerializer(many=True)
    total = EscalationReportTotalOutputSerializer()
    cases = serializers.IntegerField(help_text="Distinct cases with an escalation request in the period.")


class SatisfactionWeekOutputSerializer(serializers.Serializer):
    week = IsoWeekField()
    week_start = serializers.DateField(source="week")
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True, help_text="good / (good + bad).")
    comments = serializers.IntegerField()


class SatisfactionTotalOutputSerializer(serializers.Serializer):
    good = serializers.IntegerField()
    bad = serializers.IntegerField()
    satisfaction = serializers.FloatField(allow_null=True)
    comments = serializers.IntegerField()


class SatisfactionReportOutputSerializer(_ReportOutputSerializer):
    weeks = SatisfactionWeekOutputSerializer(many=True)
    total = SatisfactionTotalOutputSerializer()
    sent = serializers.IntegerField(help_text="Surveys sent in the period.")
    answered = serializers.IntegerField(help_text="Of those, answered so far.")
    response_rate = serializers.FloatField(allow_null=True, help_text="answered / sent.")


class SatisfactionCommentOutputSerializer(serializers.Serializer):
    answered_at = serializers.DateTimeField()
    case = serializers.IntegerField(source="case.pk")
    case_number = serializers.CharField(source="case.number")
    company = serializers.CharField(source="case.company.name")
    rating = serializers.ChoiceField(choices=[("good", "Good"), ("bad", "Bad")])
    comment = serializers.CharField()


class AnalystLoadRowOutputSerializer(serializers.Serializer):
    analyst = UserBriefOutputSerializer()
    open_cases = serializers.IntegerField(help_text="Assigned and not closed, now.")
    replies = serializers.IntegerField(help_text="Public comments in the period.")
    replies_per_day = serializers.FloatField(help_text="replies / days of the period.")


class AnalystLoadReportOutputSerializer(_ReportOutputSerializer):
    as_of = serializers.DateTimeField(help_text="The instant the open cases were counted.")
    rows = AnalystLoadRowOutputSerializer(many=True)
    summary_as_of = SummaryAsOfField()
