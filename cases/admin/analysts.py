"""Analyst availability: each analyst switches their own (admin index, case page); support managers
see everyone's and may switch it for them. Every switch goes through ``analyst_availability_set``,
which hands waiting cases to someone who becomes available. Each analyst also chooses the time zone
the workspace shows them times in (``analyst_time_zone_set``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from cases.admin.forms import TimeZoneForm
from cases.models import AnalystProfile, CaseStatus
from cases.services import analyst_time_zone_set
from cases.services.routing import analyst_availability_set
from core.errors import ApplicationError


@admin.register(AnalystProfile)
class AnalystProfileAdmin(admin.ModelAdmin):
    list_display = [
        "user",
        "availability",
        "availability_changed_at",
        "last_assigned_at",
        "open_cases",
        "queues",
    ]
    list_filter = ["availability"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    actions = ["mark_available", "mark_away"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[AnalystProfile]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_count=Count(
                    "user__assigned_cases", filter=~Q(user__assigned_cases__status=CaseStatus.CLOSED)
                )
            )
            .prefetch_related("user__queues")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in AnalystProfile._meta.fields]  # availability changes through the actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an analyst's first switch creates their profile

    @admin.display(description="open cases", ordering="open_count")
    def open_cases(self, profile: AnalystProfile) -> int:
        return getattr(profile, "open_count", 0)

    @admin.display(description="queues")
    def queues(self, profile: AnalystProfile) -> str:
        return ", ".join(queue.name for queue in profile.user.queues.all()) or "—"

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(require_POST(self.my_availability_view))
        preferences = self.admin_site.admin_view(
            require_http_methods(["GET", "POST"])(self.my_preferences_view)
        )
        return [
            path("me/", view, name="cases_analystprofile_me"),
            path("me/preferences/", preferences, name="cases_analystprofile_preferences"),
            *super().get_urls(),
        ]

    def my_preferences_view(self, request: HttpRequest) -> HttpResponse:
        """Any staff member chooses the time zone the workspace shows them times in."""
        user = request.user
        assert isinstance(user, User)
        zone = getattr(request, "workspace_zone", None)
        if request.method == "POST":
            form = TimeZoneForm(request.POST)
            if form.is_valid():
                try:
                    analyst_time_zone_set(analyst=user, time_zone=form.cleaned_data["time_zone"])
                except ApplicationError as error:
                    messages.error(request, error.detail)
                else:
                    chosen = form.cleaned_data["time_zone"]
                    messages.success(
                        request,
                        f"Times are shown in {chosen}." if chosen else "Times follow your browser's zone.",
                    )
                    return HttpResponseRedirect(reverse("admin:cases_analystprofile_preferences"))
        else:
            chosen = (
                AnalystProfile.objects.filter(user=user).values_list("time_zone", flat=True).first() or ""
            )
            form = TimeZoneForm(initial={"time_zone": chosen})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "My workspace settings",
            "form": form,
            "workspace_zone": zone,
            "now": timezone.now(),
        }
        return TemplateResponse(request, "admin/cases/preferences.html", context)

    def my_availability_view(self, request: HttpRequest) -> HttpResponse:
        """Any staff member switches their own availability (no model permission needed)."""
        user = request.user
        assert isinstance(user, User)
        availability = request.POST.get("availability", "")
        try:
            analyst_availability_set(analyst=user, availability=availability)
        except ApplicationError as error:
            messages.error(request, error.detail)
        else:
            if availability == AnalystProfile.Availability.AVAILABLE:
                mine = user.assigned_cases.exclude(status=CaseStatus.CLOSED).count()
                messages.success(
                    request,
                    f"You are available for routed cases ({mine} open case{'' if mine == 1 else 's'} assigned to you).",
                )
            else:
                messages.success(request, "You are away: routing gives you no new cases.")
        target = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
            target = reverse("admin:index")
        return HttpResponseRedirect(target)

    @admin.action(description="Mark available (and hand them waiting cases)", permissions=["change"])
    def mark_available(self, request: HttpRequest, queryset: QuerySet[AnalystProfile]) -> None:
        self._set(request, queryset, AnalystProfile.Availability.AVAILABLE)

    @admin.action(description="Mark away", permissions=["change"])
    def mark_away(self, request: HttpRequest, queryset: QuerySet[AnalystProfile]) -> None:
        self._set(request, queryset, AnalystProfile.Availability.AWAY)

    def _set(self, request: HttpRequest, queryset: QuerySet[AnalystProfile], availability: str) -> None:
        for profile in queryset.select_related("user"):
            try:
                analyst_availability_set(analyst=profile.user, availability=availability)
            except ApplicationError as error:
                self.message_user(request, f"{profile.user}: {error.detail}", level=messages.WARNING)
            else:
                self.message_user(
                    request, f"{profile.user}: {AnalystProfile.Availability(availability).label}."
                )
