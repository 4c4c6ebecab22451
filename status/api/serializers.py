from __future__ import annotations

from datetime import tzinfo
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api.serializers import OutputModelSerializer, QueryInputSerializer
from status.models import Incident, IncidentUpdate, MaintenanceWindow
from status.selectors import ProductStatus, ProductStatusSummary


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose OpenAPI enum is its own named component (``component_name``).

    drf-spectacular names enums after field names; several ``status`` fields with different choice
    sets would collide, so ours are named explicitly here instead of in the global settings.
    """

    def __init__(self, *, component_name: str, **kwargs: Any) -> None:
        self.component_name = component_name
        super().__init__(**kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema: AutoSchema, direction: str) -> dict[str, Any]:
        field = self.target
        assert isinstance(field, NamedChoiceField)
        component = ResolvedComponent(
            name=field.component_name,
            type=ResolvedComponent.SCHEMA,
            object=field.component_name,
            schema={"type": "string", "enum": [str(value) for value in field.choices]},
        )
        auto_schema.registry.register_on_missing(component)
        return dict(component.ref)


class ZonedDateTimeField(serializers.DateTimeField):
    """An instant rendered in the zone the client asked for (``context["zone"]``), with its offset."""

    def default_timezone(self) -> tzinfo | None:
        zone: tzinfo | None = self.context.get("zone")
        return zone if zone is not None else super().default_timezone()


class StatusQueryInputSerializer(QueryInputSerializer):
    tz = serializers.CharField(
        default="UTC",
        max_length=64,
        help_text="IANA time zone for the `*_local` fields, e.g. Europe/Paris. Unknown: 400 `invalid_time_zone`.",
    )
    count = serializers.IntegerField(
        default=5, min_value=1, max_value=20, help_text="Maintenance runs to list per product."
    )


def _incident_status_field() -> NamedChoiceField:
    return NamedChoiceField(choices=Incident.Status.choices, component_name="IncidentStatusEnum")


class IncidentUpdateOutputSerializer(OutputModelSerializer):
    status = _incident_status_field()

    class Meta:
        model = IncidentUpdate
        fields = ["id", "status", "message", "created_at"]


class IncidentOutputSerializer(OutputModelSerializer):
    status = _incident_status_field()
    impact = NamedChoiceField(choices=Incident.Impact.choices, component_name="IncidentImpactEnum")
    updates = IncidentUpdateOutputSerializer(source="update_list", many=True, help_text="Newest first.")

    class Meta:
        model = Incident
        fields = ["id", "title", "status", "impact", "started_at", "resolved_at", "updates"]


class MaintenanceOccurrenceOutputSerializer(serializers.Serializer):
    window_id = serializers.IntegerField(source="window.pk")
    uid = serializers.CharField(help_text="Stable per occurrence; the iCalendar UID.")
    kind = NamedChoiceField(
        source="window.kind",
        choices=MaintenanceWindow.Kind.choices,
        component_name="MaintenanceWindowKindEnum",
    )
    title = serializers.CharField(source="window.title")
    description = serializers.CharField(source="window.description")
    schedule = serializers.CharField(source="window.schedule_text", help_text="The window's rule, in words.")
    starts_at = serializers.DateTimeField(source="start", help_text="UTC.")
    ends_at = serializers.DateTimeField(source="end", help_text="UTC; the window is over at this instant.")
    starts_at_local = ZonedDateTimeField(source="start", help_text="The same instant in the requested zone.")
    ends_at_local = ZonedDateTimeField(source="end", help_text="The same instant in the requested zone.")


class ProductStatusOutputSerializer(serializers.Serializer):
    code = serializers.CharField(source="product.code")
    name = serializers.CharField(source="product.name")
    status = NamedChoiceField(
        choices=ProductStatus.CHOICES,
        component_name="ProductStatusEnum",
        help_text="Precedence: outage > under_maintenance > degraded > operational.",
    )
    current_maintenance = MaintenanceOccurrenceOutputSerializer(allow_null=True)
    upcoming_maintenance = MaintenanceOccurrenceOutputSerializer(
        many=True, help_text="Next runs by start, one in progress first."
    )
    incidents = IncidentOutputSerializer(many=True, help_text="Open incidents, newest first.")
    calendar = serializers.SerializerMethodField(help_text="iCalendar feed of this product's maintenance.")

    @extend_schema_field(OpenApiTypes.URI)
    def get_calendar(self, summary: ProductStatusSummary) -> str:
        return reverse(
            "status-calendar-product", args=[summary.product.code], request=self.context.get("request")
        )


class StatusFeedLinksOutputSerializer(serializers.Serializer):
    rss = serializers.URLField()
    atom = serializers.URLField()
    calendar = serializers.URLField(help_text="iCalendar feed of every product's maintenance.")


class StatusOutputSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    time_zone = serializers.CharField(help_text="The zone of the `*_local` fields.")
    feeds = StatusFeedLinksOutputSerializer()
    products = ProductStatusOutputSerializer(many=True)


class SupportRegionOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    phone = serializers.CharField()
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO 3166-1 alpha-2 codes.")
    note = serializers.CharField(allow_blank=True)


class SupportHoursOutputSerializer(serializers.Serializer):
    opens = serializers.CharField(help_text="Local time, HH:MM.")
    closes = serializers.CharField(help_text="Local time, HH:MM.")
    time_basis = serializers.CharField()
    after_hours_priorities = serializers.ListField(child=serializers.CharField())
    after_hours_note = serializers.CharField()


class SupportCallerOutputSerializer(serializers.Serializer):
    may_call_support = serializers.BooleanField()
    reason = serializers.CharField(
        help_text="`staff`, `dsu_or_manager`, `member`, `partner`, `dsu_required`, `membership_inactive`, "
        "`no_membership`."
    )
    detail = serializers.CharField()
    country = serializers.CharField(allow_null=True, help_text="The company's country.")
    region = SupportRegionOutputSerializer(allow_null=True, help_text="The number serving that country.")
    note = serializers.CharField(allow_null=True)


class SupportContactsOutputSerializer(serializers.Serializer):
    regions = SupportRegionOutputSerializer(many=True)
    hours = SupportHoursOutputSerializer()
    caller = SupportCallerOutputSerializer(
        allow_null=True,
        help_text="For a logged-in user: may they call, and which number. Null when anonymous.",
    )


class StatusSubscriptionOutputSerializer(serializers.Serializer):
    product = serializers.CharField(source="product.code")
    product_name = serializers.CharField(source="product.name")
    opted_in = serializers.BooleanField()
