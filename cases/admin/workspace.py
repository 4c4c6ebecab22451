"""The analyst workspace on the Case admin: the case list (queues, SLA column, bulk actions) and the
case page, whose every button posts to a view below that calls one service.

Access: support staff (the admin site's own check), whatever their model permissions; what each
person may do to a case is the services' decision (``available_transitions_for`` and the
transitions' ``permission=`` rules), and a refusal comes back as an error message with its detail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from accounts.models import User
from cases.admin.canned import canned_response_render, canned_responses_for
from cases.admin.display import (
    WHOSE_MOVE_CLASS,
    duration_text,
    priority_badge,
    sla_cell,
    status_badge,
)
from cases.admin.forms import (
    SELECTED,
    AssignForm,
    BulkAssignForm,
    BulkForm,
    BulkPriorityForm,
    PriorityForm,
    ReplyForm,
    TransitionForm,
)
from cases.admin.queues import (
    CASE_QUEUES,
    QUEUE_PARAMETER,
    SLA_DUE_ORDER,
    QueueListFilter,
    case_queue_counts,
    with_sla,
)
from cases.admin.search import CaseSearchAdmin
from cases.models import MACRO_TRANSITIONS, AnalystProfile, Case, CaseStatus, Comment, WhoseMove
from cases.selectors import (
    TRANSITION_INPUTS,
    AvailableTransition,
    attachment_list_for_user,
    available_transitions_for,
    case_follower_list,
    case_get_for_user,
    case_list_for_user,
    comment_list_for_user,
    escalation_list_for_user,
    event_list_for_user,
)
from cases.services import (
    agent_notices_mark_read,
    case_assign,
    case_priority_override,
    case_transition,
    comment_create,
)
from core.errors import ApplicationError, NotFound
from sla.models import Metric
from sla.selectors import sla_timer_summaries

TRANSITION_LABELS: dict[str, str] = {
    "start": "Take case & start",
    "await_release": "Await release",
    "engage_engineering": "Engage engineering",
    "request_customer_action": "Request customer action",
    "resume": "Resume work",
    "propose_resolution": "Propose resolution",
    "close_out_of_scope": "Close as out of scope",
    "reopen": "Reopen",
    "respond": "Respond",
    "confirm_resolution": "Confirm resolution",
    "reject_resolution": "Reject resolution",
}
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


def transition_label(name: str) -> str:
    return TRANSITION_LABELS.get(name, name.replace("_", " ").capitalize())


def _staff(request: HttpRequest) -> User:
    user = request.user
    if not isinstance(user, User) or not (user.is_active and user.is_staff):
        raise PermissionDenied
    return user


class RoutingQueueFilter(admin.RelatedOnlyFieldListFilter):
    """The routing queue a case waits in (not to be confused with the saved-view "queue" filter)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = "routing queue"


@dataclass
class BulkReport:
    """What a bulk action did, skipped as already done, and refused (each case named with why)."""

    done: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)

    def run(self, case: Case, act: Callable[[Case], bool]) -> None:
        label = case.number or f"#{case.pk}"
        if case.status == CaseStatus.CLOSED:
            self.refused.append((label, "closed: reopen it first"))
            return
        try:
            changed = act(case)
        except ApplicationError as error:
            self.refused.append((label, error.detail))
            return
        (self.done if changed else self.unchanged).append(label)

    def tell(self, request: HttpRequest, *, done: str, unchanged: str, refused: str) -> None:
        if self.done:
            messages.success(request, f"{done}: {', '.join(self.done)}.")
        if self.unchanged:
            messages.info(request, f"{unchanged}: {', '.join(self.unchanged)}.")
        if self.refused:
            reasons = "; ".join(f"{number} ({why})" for number, why in self.refused)
            messages.warning(request, f"{refused}: {reasons}.")


@admin.register(Case)
class CaseAdmin(CaseSearchAdmin):
    list_display = [
        "number",
        "subject",
        "company",
        "tier",
        "priority_column",
        "status_column",
        "assignee",
        "sla_remaining",
        "last_activity",
    ]
    list_display_links = ["number", "subject"]
    list_filter = [
        QueueListFilter,
        "status",
        "priority",
        "company__plan_tier",
        ("company", admin.RelatedOnlyFieldListFilter),
        ("product_instance__product", admin.RelatedOnlyFieldListFilter),
        "product_instance__environment",
        ("assignee", admin.RelatedOnlyFieldListFilter),
        ("queue", RoutingQueueFilter),
    ]
    list_select_related = ["company", "assignee"]
    search_fields = ["number", "subject", "company__name"]
    search_help_text = (
        "Words of the case, its comments, e-mail replies and internal notes; its number; "
        "partial words and names of the subject, company and people. Best matches first."
    )
    show_full_result_count = False  # one count query, not two
    list_per_page = 50
    actions = ["assign_to_me", "assign_to_analyst", "change_priority"]

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

    # --- the list -------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return with_sla(case_list_for_user(user=_staff(request)).select_related(None))

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        return [SLA_DUE_ORDER, "-created_at"]  # nearest deadline first; no clock: newest first

    @admin.display(description="tier", ordering="company__plan_tier")
    def tier(self, case: Case) -> str:
        return case.company.get_plan_tier_display()

    @admin.display(description="priority", ordering="priority")
    def priority_column(self, case: Case) -> SafeString:
        return priority_badge(case.priority)

    @admin.display(description="status", ordering="status")
    def status_column(self, case: Case) -> SafeString:
        return status_badge(case)

    @admin.display(description="SLA remaining", ordering=SLA_DUE_ORDER)
    def sla_remaining(self, case: Case) -> SafeString:
        return sla_cell(case, timezone.now()).html()

    @admin.display(description="customer last active", ordering="last_customer_activity_at")
    def last_activity(self, case: Case) -> SafeString | str:
        at = case.last_customer_activity_at
        if at is None:
            return "—"
        ago = "just now" if timezone.now() - at < timedelta(minutes=1) else f"{timesince(at, depth=1)} ago"
        return format_html('<span title="{} UTC">{}</span>', f"{at:%Y-%m-%d %H:%M}", ago)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        user = _staff(request)
        counts = case_queue_counts(user=user)
        current = request.GET.get(QUEUE_PARAMETER, "all")
        base = reverse("admin:cases_case_changelist")
        queues = [
            {
                "slug": queue.slug,
                "title": queue.title,
                "count": counts[queue.slug],
                "url": base if queue.condition is None else f"{base}?{QUEUE_PARAMETER}={queue.slug}",
                "active": queue.slug == current,
            }
            for queue in CASE_QUEUES
        ]
        title = next((q["title"] for q in queues if q["active"]), "Cases")
        context = {"case_queues": queues, "title": title, **(extra_context or {})}
        return super().changelist_view(request, context)

    # --- the case page --------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:case_id>/transition/<slug:name>/",
                wrap(self.transition_view),
                name="cases_case_transition",
            ),
            path("<int:case_id>/reply/", wrap(require_POST(self.reply_view)), name="cases_case_reply"),
            path("<int:case_id>/note/", wrap(require_POST(self.note_view)), name="cases_case_note"),
            path("<int:case_id>/assign/", wrap(require_POST(self.assign_view)), name="cases_case_assign"),
            path(
                "<int:case_id>/priority/", wrap(require_POST(self.priority_view)), name="cases_case_priority"
            ),
            *super().get_urls(),
        ]

    def _case(self, request: HttpRequest, case_id: int | str) -> Case:
        try:
            return case_get_for_user(user=_staff(request), case_id=int(case_id))
        except (NotFound, ValueError) as exc:
            raise Http404("Case not found.") from exc

    def _page(self, case: Case) -> HttpResponseRedirect:
        return redirect("admin:cases_case_change", case.pk)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            return self._page(self._case(request, object_id))  # every change posts to an action view
        case = self._case(request, object_id)
        agent_notices_mark_read(recipient=_staff(request), case=case)  # before the header counts them
        return self._workspace(request, case)

    def _workspace(
        self,
        request: HttpRequest,
        case: Case,
        *,
        reply_form: ReplyForm | None = None,
        note_form: ReplyForm | None = None,
    ) -> TemplateResponse:
        user = _staff(request)
        now = timezone.now()
        order = list(TRANSITION_LABELS)
        transitions = sorted(
            available_transitions_for(case=case, user=user),
            key=lambda t: order.index(t.name) if t.name in order else len(order),
        )
        available = {t.name for t in transitions}
        canned_list = list(canned_responses_for(case=case))
        canned = None
        if reply_form is None:
            canned_id = request.GET.get("canned", "")
            canned = next((c for c in canned_list if str(c.pk) == canned_id), None)
            reply_form = ReplyForm(
                initial={
                    "body": canned_response_render(canned=canned, case=case) if canned else "",
                    "canned": canned.pk if canned else None,
                    "apply_transition": bool(canned and canned.transition in available),
                }
            )
        elif reply_form.is_bound and reply_form.is_valid():
            canned = reply_form.cleaned_data.get("canned")
        sla = []
        for summary in sla_timer_summaries(case=case, now=now):
            seconds = summary["business_seconds_remaining"]
            left = ""
            if isinstance(seconds, int):
                left = duration_text(timedelta(seconds=seconds))
                left = f"{left} left" if seconds >= 0 else f"overdue {left}"
            sla.append({**summary, "label": Metric(str(summary["metric"])).label, "left": left})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{case.number} · {case.subject}",
            "case": case,
            "status_badge": status_badge(case),
            "priority_badge": priority_badge(case.priority),
            "whose_move_class": WHOSE_MOVE_CLASS.get(case.whose_move, ""),
            "whose_move_label": WhoseMove(case.whose_move).label,
            "description": [
                (label, getattr(case, name)) for name, label in DESCRIPTION_SECTIONS if getattr(case, name)
            ],
            "transitions": [self._transition_button(case, t) for t in transitions],
            "followers": case_follower_list(case=case),
            "comments": comment_list_for_user(user=user, case=case),
            "attachments": attachment_list_for_user(user=user, case=case),
            "events": event_list_for_user(user=user, case=case).order_by("-created_at", "-id"),
            "escalations": escalation_list_for_user(user=user, case=case),
            "sla_timers": sla,
            "reply_form": reply_form,
            "note_form": note_form or ReplyForm(),
            "canned_responses": canned_list,
            "canned": canned,
            "canned_transition_label": transition_label(canned.transition)
            if canned and canned.transition
            else "",
            "canned_transition_available": bool(canned and canned.transition in available),
            "assign_form": AssignForm(initial={"assignee": case.assignee_id}),
            "priority_form": PriorityForm(initial={"priority": case.priority}),
            "is_closed": case.status == CaseStatus.CLOSED,
            "is_support_manager": user.is_support_manager,
            "my_availability": _availability(user),
        }
        return TemplateResponse(request, "admin/cases/case/workspace.html", context)

    def _transition_button(self, case: Case, transition: AvailableTransition) -> dict[str, Any]:
        return {
            "name": transition.name,
            "label": transition_label(transition.name),
            "target": CaseStatus(transition.target).label,
            "needs_input": bool(transition.required_fields),
            "url": reverse("admin:cases_case_transition", args=[case.pk, transition.name]),
        }

    # --- the action views: each validates the form, calls one service, reports ---------------

    def transition_view(self, request: HttpRequest, case_id: int, name: str) -> HttpResponseBase:
        user = _staff(request)
        case = self._case(request, case_id)
        spec = next((t for t in available_transitions_for(case=case, user=user) if t.name == name), None)
        required = spec.required_fields if spec else TRANSITION_INPUTS.get(name, ())
        if request.method == "GET":
            if spec is None:
                messages.error(
                    request, f"'{transition_label(name)}' is not possible now ({case.get_status_display()})."
                )
                return self._page(case)
            form = TransitionForm(initial={"seen_status": case.status}, required_fields=required)
            return self._transition_page(request, case, name, form)
        if request.method != "POST":
            return HttpResponse(status=405)
        form = TransitionForm(request.POST, required_fields=required)
        if not form.is_valid():
            if required:
                return self._transition_page(request, case, name, form)
            messages.error(request, "The form was incomplete; reload the case and try again.")
            return self._page(case)
        if form.cleaned_data["seen_status"] != case.status:
            messages.error(
                request,
                f"{case.number} changed while you were looking: it is now '{case.get_status_display()}'. "
                "Check it and try again.",
            )
            return self._page(case)
        data = form.cleaned_data
        try:
            case = case_transition(
                case=case,
                actor=user,
                transition=name,
                message=data.get("message", ""),
                resolution=data.get("resolution", ""),
                tentative_release_date=data.get("tentative_release_date"),
                out_of_scope_reason=data.get("out_of_scope_reason"),
                reason=data.get("reason", ""),
            )
        except ApplicationError as error:
            messages.error(request, f"{transition_label(name)} refused: {error.detail}")
            if required:
                return self._transition_page(request, case, name, form)
            return self._page(case)
        assigned = " and assigned to you" if name == "start" and case.assignee_id == user.pk else ""
        messages.success(
            request,
            f"{case.number}: {transition_label(name)} done; now '{case.get_status_display()}'{assigned}.",
        )
        return self._page(case)

    def _transition_page(
        self, request: HttpRequest, case: Case, name: str, form: TransitionForm
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{transition_label(name)}: {case.number}",
            "case": case,
            "form": form,
            "transition_name": name,
            "transition_label": transition_label(name),
        }
        return TemplateResponse(request, "admin/cases/case/transition_form.html", context)

    def reply_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """A public reply; with a canned response that carries a transition (and the box ticked), the
        text goes out as that transition's message or resolution instead, in one service call."""
        user = _staff(request)
        case = self._case(request, case_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Write the reply first.")
            return self._workspace(request, case, reply_form=form)
        body: str = form.cleaned_data["body"]
        canned = form.cleaned_data["canned"]
        try:
            if canned is not None and canned.transition and form.cleaned_data["apply_transition"]:
                input_name = MACRO_TRANSITIONS[canned.transition]
                case = case_transition(
                    case=case,
                    actor=user,
                    transition=canned.transition,
                    message=body if input_name == "message" else "",
                    resolution=body if input_name == "resolution" else "",
                )
                messages.success(
                    request,
                    f"{case.number}: reply sent with '{transition_label(canned.transition)}'; "
                    f"now '{case.get_status_display()}'.",
                )
            else:
                comment_create(
                    case=case, author=user, body=body, is_internal=False, source=Comment.Source.ADMIN
                )
                messages.success(request, f"{case.number}: public reply sent.")
        except ApplicationError as error:
            messages.error(request, f"Reply not sent: {error.detail}")
            return self._workspace(request, case, reply_form=form)
        return self._page(case)

    def note_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = _staff(request)
        case = self._case(request, case_id)
        form = ReplyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Write the note first.")
            return self._workspace(request, case, note_form=form)
        try:
            comment_create(
                case=case,
                author=user,
                body=form.cleaned_data["body"],
                is_internal=True,
                source=Comment.Source.ADMIN,
            )
        except ApplicationError as error:
            messages.error(request, f"Note not saved: {error.detail}")
            return self._workspace(request, case, note_form=form)
        messages.success(request, f"{case.number}: internal note added.")
        return self._page(case)

    def assign_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = _staff(request)
        case = self._case(request, case_id)
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an active analyst.")
            return self._page(case)
        assignee: User | None = form.cleaned_data["assignee"]
        if assignee is not None and assignee.pk == case.assignee_id:
            messages.info(request, f"{case.number} is already {'yours' if assignee == user else assignee}.")
            return self._page(case)
        try:
            case_assign(case=case, actor=user, assignee=assignee)
        except ApplicationError as error:
            messages.error(request, f"Not assigned: {error.detail}")
            return self._page(case)
        who = "you" if assignee == user else (str(assignee) if assignee else "nobody")
        messages.success(request, f"{case.number} assigned to {who}.")
        return self._page(case)

    def priority_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = _staff(request)
        case = self._case(request, case_id)
        form = PriorityForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a priority and say why it changes.")
            return self._page(case)
        previous = case.priority
        try:
            case = case_priority_override(
                case=case,
                actor=user,
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, f"Priority unchanged: {error.detail}")
            return self._page(case)
        if case.priority == previous:
            messages.info(request, f"{case.number} is already {previous}.")
        else:
            messages.success(
                request, f"{case.number}: priority {previous} → {case.priority}; SLA targets recomputed."
            )
        return self._page(case)

    # --- bulk actions ---------------------------------------------------------------------------

    @admin.action(description="Assign selected cases to me", permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        self._bulk_assign(request, queryset, _staff(request))

    @admin.action(description="Assign selected cases to an analyst…", permissions=["change"])
    def assign_to_analyst(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkAssignForm(
            request.POST if "apply" in request.POST else None, initial=self._bulk_initial(request)
        )
        if form.is_bound and form.is_valid():
            self._bulk_assign(request, queryset, form.cleaned_data["assignee"])
            return None
        return self._bulk_page(request, queryset, form, "Assign cases to an analyst", "Assign")

    @admin.action(description="Change priority of selected cases…", permissions=["change"])
    def change_priority(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        form = BulkPriorityForm(
            request.POST if "apply" in request.POST else None, initial=self._bulk_initial(request)
        )
        if not (form.is_bound and form.is_valid()):
            return self._bulk_page(request, queryset, form, "Change the priority of cases", "Change priority")
        user = _staff(request)
        priority, reason = form.cleaned_data["priority"], form.cleaned_data["reason"]
        report = BulkReport()

        def act(case: Case) -> bool:
            if case.priority == priority:
                return False
            case_priority_override(case=case, actor=user, priority=priority, reason=reason)
            return True

        for case in queryset.order_by("pk"):
            report.run(case, act)
        report.tell(
            request,
            done=f"Priority changed to {priority}",
            unchanged=f"Already {priority}",
            refused="Priority not changed",
        )
        return None

    def _bulk_assign(self, request: HttpRequest, queryset: QuerySet[Case], assignee: User) -> None:
        user = _staff(request)
        report = BulkReport()

        def act(case: Case) -> bool:
            if case.assignee_id == assignee.pk:
                return False
            case_assign(case=case, actor=user, assignee=assignee)
            return True

        for case in queryset.order_by("pk"):
            report.run(case, act)
        mine = assignee == user
        report.tell(
            request,
            done=f"Assigned to {'you' if mine else assignee}",
            unchanged="Already yours" if mine else f"Already {assignee}'s",
            refused="Not assigned",
        )

    def _bulk_initial(self, request: HttpRequest) -> dict[str, Any]:
        return {
            "action": request.POST.get("action", ""),
            "select_across": request.POST.get("select_across", "0"),
        }

    def _bulk_page(
        self, request: HttpRequest, queryset: QuerySet[Case], form: BulkForm, title: str, submit: str
    ) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "objects": [
                (case.pk, f"{case.number} — {case.subject}", f"{case.company} · {case.get_status_display()}")
                for case in queryset.order_by("pk")
            ],
            "selected_name": SELECTED,
            "submit_label": submit,
        }
        return TemplateResponse(request, "admin/cases/bulk_action.html", context)


def _availability(user: User) -> str:
    profile = AnalystProfile.objects.filter(user=user).only("availability").first()
    return profile.availability if profile else AnalystProfile.Availability.AWAY
