from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest

from sla.models import Calendar, Holiday, SlaPolicy, SlaTarget, SlaTimer, WorkingInterval
from sla.services import sla_calendar_changed, sla_policy_running_timers_count


def _what_changed(form: ModelForm, formsets: list[BaseInlineFormSet]) -> list[str]:
    """The edit in words, for the events of the timers it moves ("holiday 2026-08-31 Summer added")."""
    changes = [f"{form.instance._meta.get_field(name).verbose_name} changed" for name in form.changed_data]
    for formset in formsets:
        label = formset.model._meta.verbose_name if formset.model is not None else "row"
        changes += [f"{label} {obj} added" for obj in formset.new_objects]
        changes += [f"{label} {obj} changed" for obj, _fields in formset.changed_objects]
        changes += [f"{label} {obj} removed" for obj in formset.deleted_objects]
    return changes


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "time_zone", "country", "public_holidays", "updated_at"]
    inlines = [WorkingIntervalInline, HolidayInline]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        """An edit applies to the timers running under the calendar, each move recorded on its case."""
        super().save_related(request, form, formsets, change)
        changes = _what_changed(form, formsets)
        if not change or not changes:
            return
        result = sla_calendar_changed(calendar=form.instance, note=f"{'; '.join(changes)}, by {request.user}")
        later = " The others are being recomputed in the background." if result.outdated else ""
        self.message_user(
            request,
            f"{result.checked} live SLA timers recomputed under the edited calendar; {result.moved} moved, "
            f"each with an event on its case.{later}",
            messages.INFO,
        )


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    extra = 0
    list_select_related = ["calendar"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "rank", "is_active", "updated_at"]
    filter_horizontal = ["companies"]
    inlines = [SlaTargetInline]

    def save_related(
        self, request: HttpRequest, form: ModelForm, formsets: list[BaseInlineFormSet], change: bool
    ) -> None:
        """A policy edit applies to timers that start afterwards; say how many running ones keep theirs."""
        super().save_related(request, form, formsets, change)
        running = sla_policy_running_timers_count(policy_id=form.instance.pk) if change else 0
        if running:
            self.message_user(
                request,
                f"{running} running SLA timers keep the targets they started with; new cases, and cases "
                "whose priority changes, get the edited targets.",
                messages.INFO,
            )


@admin.register(SlaTimer)
class SlaTimerAdmin(admin.ModelAdmin):
    list_display = [
        "case",
        "metric",
        "state",
        "target_minutes",
        "due_at",
        "warned_at",
        "breached_at",
        "met_at",
    ]
    list_filter = ["metric", "state"]
    list_select_related = ["case"]
    search_fields = ["case__number"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in SlaTimer._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
