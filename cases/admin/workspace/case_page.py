"""The case page: everything about a case on one screen, its place in the queue the analyst came
from, who else has it open, the reply composer with its macro picker, and keyboard shortcuts.

The page is plain HTML forms; htmx (through django-htmx) only replaces parts of it in place: the
macro list as the analyst searches, the reply text when a macro is inserted (typed text kept), and
the "Also viewing" line, polled. Without JavaScript the same endpoints answer the whole page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.contrib import admin
from django.db.models import Case as SqlCase
from django.db.models import Q, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from cases.admin.canned import (
    MACRO_QUERY_MAX,
    canned_response_render,
    canned_responses_for,
    customer_language,
    text_insert,
)
from cases.admin.display import WHOSE_MOVE_CLASS, elapsed_text, priority_badge, sla_row, status_badge
from cases.admin.forms import AssignForm, PriorityForm, ReplyForm
from cases.admin.queues import QUEUE_PARAMETER, QUEUES_BY_SLUG
from cases.admin.workspace.common import TRANSITION_LABELS, case_page_shortcuts, staff_user, transition_label
from cases.admin.workspace.navigation import QueuePlace, queue_filters, queue_place, url_with_queue
from cases.models import CannedResponse, Case, CaseStatus, Comment, SavedView, WhoseMove
from cases.presence import PRESENCE_HEARTBEAT_SECONDS, Viewer, case_presence_record
from cases.selectors import (
    AvailableTransition,
    attachment_list_for_user,
    available_transitions_for,
    case_follower_list,
    case_get_for_user,
    comment_list_for_user,
    escalation_list_for_user,
    event_list_for_user,
)
from cases.services.attachments import ALLOWED_TYPES
from cases.services.notices import agent_notices_mark_read
from cases.services.workspace import saved_view_query_clean
from core.errors import NotFound
from sla.models import Metric
from sla.selectors import sla_timer_summaries

# The description template, section by section.
DESCRIPTION_SECTIONS = (
    ("problem_summary", "Problem summary"),
    ("error_message", "Error message"),
    ("occurred_at", "When it happened"),
    ("users_affected", "Users affected"),
    ("replication_steps", "Steps to reproduce"),
    ("expected_result", "Expected vs actual result"),
    ("worked_before", "Did it work before?"),
    ("troubleshooting_tried", "Troubleshooting already tried"),
)
# Transitions get the digit keys 1-9 in the order the page lists them.
SHORTCUT_DIGITS = "123456789"


def queue_title(filters: str, user: User) -> str:
    """What the analyst calls the queue a case page came from."""
    if not filters:
        return ""
    params = parse_qs(filters)
    slug = params.get(QUEUE_PARAMETER, ["all"])[0]
    cleaned = saved_view_query_clean(filters)
    saved = (
        SavedView.objects.filter(Q(owner=user) | Q(is_shared=True), query=cleaned)
        .order_by(SqlCase(When(owner=user, then=0), default=1), "name")  # one's own name first
        .values_list("name", flat=True)
        .first()
        if set(params) - {QUEUE_PARAMETER, "p"}  # a built-in queue alone needs no look-up
        else None
    )
    if saved:
        return saved
    queue = QUEUES_BY_SLUG.get(slug)
    return queue.title if queue else "Cases"


def comments_by_others_since(case: Case, user: User, seen: int) -> list[Comment]:
    """Comments written on the case by someone else after the one the analyst last had on screen."""
    return list(
        Comment.objects.filter(case=case, pk__gt=seen)
        .exclude(author=user)
        .select_related("author")
        .order_by("pk")
    )


class CasePageMixin(admin.ModelAdmin):
    def case_for(self, request: HttpRequest, case_id: int | str) -> Case:
        try:
            return case_get_for_user(user=staff_user(request), case_id=int(case_id))
        except (NotFound, ValueError) as exc:
            raise Http404("Case not found.") from exc

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        case = self.case_for(request, object_id)
        if request.method != "GET":  # every change posts to an action view
            return self.back_to_case(request, case)
        agent_notices_mark_read(recipient=staff_user(request), case=case)  # before the header counts them
        return self.case_page(request, case)

    def back_to_case(self, request: HttpRequest, case: Case) -> HttpResponse:
        return redirect(QueuePlace(filters=queue_filters(request)).case_url(case.pk))

    def place_for(self, request: HttpRequest, case: Case) -> QueuePlace:
        return queue_place(self, request, case.pk, queue_filters(request))

    def case_page(
        self,
        request: HttpRequest,
        case: Case,
        *,
        reply_form: ReplyForm | None = None,
        note_form: ReplyForm | None = None,
        macro: CannedResponse | None = None,
        cursor: int | None = None,
        collisions: list[Comment] | None = None,
        status: int = 200,
    ) -> TemplateResponse:
        user = staff_user(request)
        now = timezone.now()
        order = list(TRANSITION_LABELS)
        transitions = sorted(
            available_transitions_for(case=case, user=user),
            key=lambda t: order.index(t.name) if t.name in order else len(order),
        )
        available = {t.name for t in transitions}
        filters = queue_filters(request)
        place = queue_place(self, request, case.pk, filters)
        comments = list(comment_list_for_user(user=user, case=case))
        seen = max((comment.pk for comment in comments), default=0)
        if reply_form is None:
            reply_form = ReplyForm(initial={"seen_comment": seen})
        viewers = case_presence_record(case_id=case.pk, user=user, now=now)
        macro_query = request.GET.get("macro_q", request.POST.get("macro_q", ""))[:MACRO_QUERY_MAX]
        buttons = [self._transition_button(case, t, i, filters) for i, t in enumerate(transitions)]
        sla = [
            sla_row(summary, Metric(str(summary["metric"])).label, now)
            for summary in sla_timer_summaries(case=case, now=now)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{case.number} · {case.subject}",
            "case": case,
            "status_badge": status_badge(case),
            "time_in_status": elapsed_text(now - case.status_changed_at),
            "priority_badge": priority_badge(case.priority),
            "whose_move_class": WHOSE_MOVE_CLASS.get(case.whose_move, ""),
            "whose_move_label": WhoseMove(case.whose_move).label,
            "description": [
                (label, getattr(case, name)) for name, label in DESCRIPTION_SECTIONS if getattr(case, name)
            ],
            "transitions": buttons,
            "shortcuts": case_page_shortcuts(buttons, from_queue=place.from_queue),
            "followers": case_follower_list(case=case),
            "comments": comments,
            "attachments": attachment_list_for_user(user=user, case=case),
            "events": event_list_for_user(user=user, case=case).order_by("-created_at", "-id"),
            "escalations": escalation_list_for_user(user=user, case=case),
            "sla_timers": sla,
            "note_form": note_form or ReplyForm(),
            "assign_form": AssignForm(initial={"assignee": case.assignee_id}),
            "priority_form": PriorityForm(initial={"priority": case.priority}),
            "is_closed": case.status == CaseStatus.CLOSED,
            "is_support_manager": user.is_support_manager,
            "place": place,
            "reload_url": place.case_url(case.pk),
            "queue_title": queue_title(filters, user),
            "filters": filters,
            "viewers": viewers,
            "presence_url": reverse("admin:cases_case_presence", args=[case.pk]),
            "presence_every": PRESENCE_HEARTBEAT_SECONDS,
            "seen_comment": seen,
            "collisions": collisions or [],
            "macro_query": macro_query,
            "macros": canned_responses_for(case=case, query=macro_query),
            "customer_language": customer_language(case),
            "workspace_zone": getattr(request, "workspace_zone", None),
            "attachment_max_bytes": _attachment_max_bytes(),
            # Django refuses a form with more files before the view runs, and the typed text is lost.
            "attachment_max_files": int(settings.DATA_UPLOAD_MAX_NUMBER_FILES),
            "attachment_accept": ",".join(sorted(ALLOWED_TYPES)),
            **self._composer_context(case, reply_form, macro, cursor, available),
        }
        return TemplateResponse(request, "admin/cases/case/workspace.html", context, status=status)

    def _composer_context(
        self,
        case: Case,
        reply_form: ReplyForm,
        macro: CannedResponse | None,
        cursor: int | None,
        available: set[str],
    ) -> dict[str, Any]:
        """The reply text and what the macro in it would set (shown ticked, so it can be unticked)."""
        if macro is None and reply_form.is_bound and reply_form.is_valid():
            macro = reply_form.cleaned_data.get("canned")
        fresh = not reply_form.is_bound
        checked = {
            name: fresh or bool(reply_form.is_bound and reply_form.data.get(f"apply_{name}"))
            for name in ("transition", "priority", "assignee")
        }
        return {
            "reply_form": reply_form,
            "macro": macro,
            "macro_transition_label": transition_label(macro.transition)
            if macro and macro.transition
            else "",
            "macro_transition_available": bool(macro and macro.transition in available),
            "macro_checked": checked,
            "cursor": cursor,
            "case_url": reverse("admin:cases_case_change", args=[case.pk]),
        }

    def _transition_button(
        self, case: Case, transition: AvailableTransition, index: int, filters: str
    ) -> dict[str, Any]:
        url = reverse("admin:cases_case_transition", args=[case.pk, transition.name])
        return {
            "name": transition.name,
            "label": transition_label(transition.name),
            "target": CaseStatus(transition.target).label,
            "needs_input": bool(transition.required_fields),
            "url": url,
            "form_url": url_with_queue(url, filters),
            "key": SHORTCUT_DIGITS[index] if index < len(SHORTCUT_DIGITS) else "",
        }

    # --- htmx parts (whole page without JavaScript) ------------------------------------------------

    def presence_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """The "Also viewing" line and comments written since the page was opened; polling it is
        this viewer's heartbeat."""
        user = staff_user(request)
        case = self.case_for(request, case_id)
        try:
            seen = max(int(request.GET.get("seen", "0")), 0)
        except ValueError:
            seen = 0
        viewers: list[Viewer] = case_presence_record(case_id=case.pk, user=user)
        context = {
            "case": case,
            "viewers": viewers,
            "collisions": comments_by_others_since(case, user, seen),
            "presence_url": reverse("admin:cases_case_presence", args=[case.pk]),
            "presence_every": PRESENCE_HEARTBEAT_SECONDS,
            "seen_comment": seen,
            "place": QueuePlace(filters=queue_filters(request)),
            "reload_url": QueuePlace(filters=queue_filters(request)).case_url(case.pk),
        }
        return TemplateResponse(request, "admin/cases/case/_presence.html", context)

    def macro_list_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """The macros matching the search box, the customer's language first."""
        case = self.case_for(request, case_id)
        query = request.GET.get("macro_q", "")[:MACRO_QUERY_MAX]
        if not request.htmx:  # type: ignore[attr-defined]
            return self.case_page(request, case)
        context = {"case": case, "macros": canned_responses_for(case=case, query=query), "macro_query": query}
        return TemplateResponse(request, "admin/cases/case/_macro_list.html", context)

    def macro_insert_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """Put a macro's text where the cursor is in the reply being written (the text so far comes
        with the request); with htmx only the composer's text part is answered, else the whole page."""
        user = staff_user(request)
        case = self.case_for(request, case_id)
        body = request.POST.get("body", "").replace("\r\n", "\n")
        chosen, kept = _int(request.POST.get("macro")), _int(request.POST.get("canned"))
        macro = canned_responses_for(case=case).filter(pk=chosen).first() if chosen is not None else None
        cursor = _int(request.POST.get("cursor"))
        if macro is not None:
            body, cursor = text_insert(body, canned_response_render(canned=macro, case=case), cursor)
        elif kept is not None:  # a search without JavaScript: the macro already in the reply stays
            macro = CannedResponse.objects.filter(is_active=True, pk=kept).first()
        reply_form = ReplyForm(
            initial={
                "body": body,
                "canned": macro.pk if macro else None,
                "seen_comment": _int(request.POST.get("seen_comment")) or 0,
            }
        )
        if not request.htmx:  # type: ignore[attr-defined]
            return self.case_page(request, case, reply_form=reply_form, macro=macro, cursor=cursor)
        available = {t.name for t in available_transitions_for(case=case, user=user)}
        context = {"case": case, **self._composer_context(case, reply_form, macro, cursor, available)}
        return TemplateResponse(request, "admin/cases/case/_composer_text.html", context)


def _int(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _attachment_max_bytes() -> int:
    return int(settings.ATTACHMENT_MAX_BYTES)
