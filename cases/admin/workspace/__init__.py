"""The analyst workspace on the Case admin: the case list (queues, saved views, SLA column, bulk
actions) and the case page, whose every button posts to a view that calls one service.

Access: support staff (the admin site's own check), whatever their model permissions; what each
person may do to a case is the services' decision (``available_transitions_for`` and the
transitions' ``permission=`` rules), and a refusal comes back as an error message with its detail.

Modules by concern: ``case_list`` (list, queues, saved views), ``case_page`` (the page, presence,
macro picker), ``actions`` (the page's forms, "… and next"), ``navigation`` (a case's place in its
queue), ``bulk`` (list actions), ``common`` (access, labels).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import URLPattern, path
from django.views.decorators.http import require_GET, require_POST

from cases.admin.search import CaseSearchAdmin
from cases.admin.workspace.actions import CaseActionsMixin, reply_body_max_bytes
from cases.admin.workspace.bulk import BulkReport, CaseBulkActionsMixin
from cases.admin.workspace.case_list import CaseListMixin
from cases.admin.workspace.common import TRANSITION_LABELS, transition_label
from cases.models import Case

__all__ = ["TRANSITION_LABELS", "BulkReport", "CaseAdmin", "transition_label"]


@admin.register(Case)
class CaseAdmin(CaseListMixin, CaseActionsMixin, CaseBulkActionsMixin, CaseSearchAdmin):
    # --- access: the workspace is for support staff; the services judge each action -----------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # "Change" means acting through the services; the page never saves a form onto the row.
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # customers open cases (API, e-mail); staff on their behalf through the API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view

        def posting(view: Any, *, carries_files: bool = False) -> Any:
            wrapped = wrap(require_POST(view))
            if carries_files:  # core.limits reads the endpoint's body limit from the view
                wrapped.request_body_max_bytes = reply_body_max_bytes
            return wrapped

        return [
            path(
                "<int:case_id>/transition/<slug:name>/",
                wrap(self.transition_view),
                name="cases_case_transition",
            ),
            path(
                "<int:case_id>/reply/", posting(self.reply_view, carries_files=True), name="cases_case_reply"
            ),
            path("<int:case_id>/note/", posting(self.note_view, carries_files=True), name="cases_case_note"),
            path("<int:case_id>/assign/", posting(self.assign_view), name="cases_case_assign"),
            path("<int:case_id>/priority/", posting(self.priority_view), name="cases_case_priority"),
            path(
                "<int:case_id>/presence/", wrap(require_GET(self.presence_view)), name="cases_case_presence"
            ),
            path("<int:case_id>/macros/", wrap(require_GET(self.macro_list_view)), name="cases_case_macros"),
            path(
                "<int:case_id>/macros/insert/",
                posting(self.macro_insert_view, carries_files=True),
                name="cases_case_macro_insert",
            ),
            path("views/save/", posting(self.saved_view_save_view), name="cases_savedview_save"),
            path(
                "views/<int:view_id>/delete/",
                posting(self.saved_view_delete_view),
                name="cases_savedview_delete",
            ),
            *super().get_urls(),
        ]
