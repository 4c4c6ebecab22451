"""The staff inbox: each person's notices (``AgentNotice``, written by ``cases.notices``), unread
first, newest first, each linking to its case; opening the case marks its notices read (the case
page calls ``agent_notices_mark_read``). The unread count is in the admin header of every page
(``cases/templatetags/agent_inbox.py``). The inbox page also holds the person's notice preferences.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import available_timezones

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.expressions import Combinable
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from accounts.models import Language, User
from cases.models import AgentNotice, AnalystProfile
from cases.selectors import agent_notice_list_for_user
from cases.services import agent_notices_mark_all_read, analyst_notice_preferences_set
from core.admin import ReadOnlyAdmin
from core.errors import ApplicationError


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_active and user.is_staff):
        raise PermissionDenied
    return user


class NoticePreferencesForm(forms.Form):
    email_notices = forms.ChoiceField(label="E-mail", choices=AnalystProfile.EmailNotices.choices)
    digest_minutes = forms.TypedChoiceField(
        label="Digest", choices=AnalystProfile.DigestMinutes.choices, coerce=int
    )
    language = forms.ChoiceField(label="Language", choices=Language.choices)
    time_zone = forms.ChoiceField(label="Time zone", choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name) for name in sorted(available_timezones())]  # type: ignore[attr-defined]


class UnreadFilter(admin.SimpleListFilter):
    title = "read"
    parameter_name = "unread"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("1", "Unread"), ("0", "Read")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() in ("0", "1"):
            return queryset.filter(read_at__isnull=self.value() == "1")
        return queryset


@admin.register(AgentNotice)
class AgentNoticeAdmin(ReadOnlyAdmin):
    list_display = ["state", "what", "case_link", "excerpt_column", "when"]
    list_display_links = None
    list_filter = [UnreadFilter, "kind"]
    list_select_related = ["case", "actor"]
    list_per_page = 50
    show_full_result_count = False  # one count query, not two
    actions = ["mark_read"]

    # --- access: every staff member sees their own notices, nobody else's -------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgentNotice]:
        return agent_notice_list_for_user(user=_staff(request))

    def get_ordering(self, request: HttpRequest) -> list[str | Combinable]:
        return ["-unread", "-created_at", "-id"]  # unread first, then newest

    # --- columns ----------------------------------------------------------------------------------

    @admin.display(description="")
    def state(self, notice: AgentNotice) -> SafeString:
        if notice.read_at is None:
            return mark_safe('<span class="cd-notice-unread" title="Unread">●</span>')
        return mark_safe('<span class="cd-notice-read" title="Read">○</span>')

    @admin.display(description="what", ordering="kind")
    def what(self, notice: AgentNotice) -> str:
        who = str(notice.actor) if notice.actor else "Casedesk"
        return f"{notice.get_kind_display()} · {who}"

    @admin.display(description="case")
    def case_link(self, notice: AgentNotice) -> SafeString:
        return format_html(
            '<a class="cd-notice-case" href="{}">{}</a> {}',
            reverse("admin:cases_case_change", args=[notice.case_id]),
            notice.case.number,
            notice.case.subject,
        )

    @admin.display(description="says")
    def excerpt_column(self, notice: AgentNotice) -> str:
        return notice.excerpt or "—"

    @admin.display(description="when", ordering="created_at")
    def when(self, notice: AgentNotice) -> SafeString:
        at = notice.created_at
        ago = "just now" if timezone.now() - at < timedelta(minutes=1) else f"{timesince(at, depth=1)} ago"
        return format_html('<span title="{} UTC">{}</span>', f"{at:%Y-%m-%d %H:%M}", ago)

    # --- actions and the page's own views -----------------------------------------------------------

    @admin.action(description="Mark selected notices read", permissions=["view"])
    def mark_read(self, request: HttpRequest, queryset: QuerySet[AgentNotice]) -> None:
        marked = agent_notices_mark_all_read(
            recipient=_staff(request), notice_ids=list(queryset.values_list("pk", flat=True))
        )
        self.message_user(request, f"{marked} notice{'' if marked == 1 else 's'} marked read.")

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path("read-all/", wrap(require_POST(self.read_all_view)), name="cases_agentnotice_read_all"),
            path(
                "preferences/",
                wrap(require_POST(self.preferences_view)),
                name="cases_agentnotice_preferences",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        user = _staff(request)
        profile = AnalystProfile.objects.filter(user=user).first()
        form = NoticePreferencesForm(
            initial={
                "email_notices": profile.email_notices if profile else AnalystProfile.EmailNotices.IMMEDIATE,
                "digest_minutes": profile.digest_minutes if profile else AnalystProfile.DigestMinutes.THIRTY,
                "time_zone": profile.time_zone if profile else "UTC",
                "language": user.language or Language.ENGLISH,
            }
        )
        context = {"title": "Inbox", "preferences_form": form, **(extra_context or {})}
        return super().changelist_view(request, context)

    def _inbox(self) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:cases_agentnotice_changelist"))

    def read_all_view(self, request: HttpRequest) -> HttpResponse:
        marked = agent_notices_mark_all_read(recipient=_staff(request))
        messages.success(request, f"{marked} notice{'' if marked == 1 else 's'} marked read.")
        return self._inbox()

    def preferences_view(self, request: HttpRequest) -> HttpResponse:
        user = _staff(request)
        form = NoticePreferencesForm(request.POST)
        if not form.is_valid():
            fields = ", ".join(sorted(form.errors))
            messages.error(request, f"Preferences not saved: check {fields}.")
            return self._inbox()
        try:
            analyst_notice_preferences_set(analyst=user, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, f"Preferences not saved: {error.detail}")
        else:
            messages.success(request, "Notice preferences saved.")
        return self._inbox()
