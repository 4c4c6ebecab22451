"""The case page's actions: each validates its form, calls one service, and reports. Every action
may be sent "… and next": the next case of the queue the analyst came from (``navigation``) is
worked out before acting, and opened after; otherwise the analyst stays on the case, in the queue.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from accounts.models import User
from cases.admin.forms import AssignForm, PriorityForm, ReplyForm, TransitionForm
from cases.admin.workspace.case_page import CasePageMixin, comments_by_others_since, queue_title
from cases.admin.workspace.common import staff_user, transition_label
from cases.admin.workspace.navigation import QueuePlace, queue_filters
from cases.models import Case, Comment
from cases.selectors import TRANSITION_INPUTS, available_transitions_for
from cases.services import (
    MacroUse,
    ReplySent,
    case_assign,
    case_priority_override,
    case_reply_send,
    case_transition,
)
from core.errors import ApplicationError

AND_NEXT = "and_next"


def reply_body_max_bytes() -> int:
    """A reply or note carries files: as much as the API's attachment upload (``core.limits``)."""
    return int(settings.ATTACHMENT_MAX_BYTES + settings.REQUEST_BODY_MAX_BYTES)


def _files(count: int) -> str:
    return f"{count} file{'' if count == 1 else 's'}"


class CaseActionsMixin(CasePageMixin):
    def _next_place(self, request: HttpRequest, case: Case) -> QueuePlace | None:
        """With "… and next", where to go afterwards, read before acting (the case may leave the
        queue when acted on)."""
        return self.place_for(request, case) if request.POST.get(AND_NEXT) else None

    def _done(self, request: HttpRequest, case: Case, then: QueuePlace | None) -> HttpResponse:
        if then is None:
            return self.back_to_case(request, case)
        if then.next_id is not None:
            return redirect(then.next_url)
        title = queue_title(then.filters, staff_user(request)) or "this queue"
        messages.info(request, f"That was the last case in {title}.")
        return redirect(then.list_url)

    # --- status transitions ---------------------------------------------------------------------

    def transition_view(self, request: HttpRequest, case_id: int, name: str) -> HttpResponseBase:
        user = staff_user(request)
        case = self.case_for(request, case_id)
        spec = next((t for t in available_transitions_for(case=case, user=user) if t.name == name), None)
        required = spec.required_fields if spec else TRANSITION_INPUTS.get(name, ())
        if request.method == "GET":
            if spec is None:
                messages.error(
                    request, f"'{transition_label(name)}' is not possible now ({case.get_status_display()})."
                )
                return self.back_to_case(request, case)
            form = TransitionForm(initial={"seen_status": case.status}, required_fields=required)
            return self._transition_page(request, case, name, form)
        if request.method != "POST":
            return HttpResponse(status=405)
        form = TransitionForm(request.POST, required_fields=required)
        if not form.is_valid():
            if required:
                return self._transition_page(request, case, name, form)
            messages.error(request, "The form was incomplete; reload the case and try again.")
            return self.back_to_case(request, case)
        if form.cleaned_data["seen_status"] != case.status:
            messages.error(
                request,
                f"{case.number} changed while you were looking: it is now '{case.get_status_display()}'. "
                "Check it and try again.",
            )
            return self.back_to_case(request, case)
        then = self._next_place(request, case)
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
            ).case
        except ApplicationError as error:
            messages.error(request, f"{transition_label(name)} refused: {error.detail}")
            if required:
                return self._transition_page(request, case, name, form)
            return self.back_to_case(request, case)
        assigned = " and assigned to you" if name == "start" and case.assignee_id == user.pk else ""
        messages.success(
            request,
            f"{case.number}: {transition_label(name)} done; now '{case.get_status_display()}'{assigned}.",
        )
        return self._done(request, case, then)

    def _transition_page(
        self, request: HttpRequest, case: Case, name: str, form: TransitionForm
    ) -> TemplateResponse:
        filters = queue_filters(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"{transition_label(name)}: {case.number}",
            "case": case,
            "form": form,
            "transition_name": name,
            "transition_label": transition_label(name),
            "filters": filters,
            "place": QueuePlace(filters=filters),
            "back_url": QueuePlace(filters=filters).case_url(case.pk),
        }
        return TemplateResponse(request, "admin/cases/case/transition_form.html", context)

    # --- replies and notes ------------------------------------------------------------------------

    def reply_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        """A public reply, with files and the macro it came from (whatever of it stayed ticked). If
        someone else wrote on the case since the analyst's page showed it, nothing is sent: the page
        comes back with the new comments and the text, to send again."""
        user = staff_user(request)
        case = self.case_for(request, case_id)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _form_problem(form, "Write the reply first."))
            return self.case_page(request, case, reply_form=form)
        newer = comments_by_others_since(case, user, form.cleaned_data["seen_comment"] or 0)
        if newer:
            return self._collision(request, case, form, newer)
        canned = form.cleaned_data["canned"]
        macro = None
        if canned is not None:
            available = {t.name for t in available_transitions_for(case=case, user=user)}
            macro = MacroUse(
                canned,
                transition=form.cleaned_data["apply_transition"] and canned.transition in available,
                priority=form.cleaned_data["apply_priority"],
                assignee=form.cleaned_data["apply_assignee"],
            )
        uploads = form.cleaned_data["attachments"]
        then = self._next_place(request, case)
        try:
            sent = case_reply_send(
                case=case,
                author=user,
                body=form.cleaned_data["body"],
                is_internal=False,
                uploads=uploads,
                macro=macro,
            )
        except ApplicationError as error:
            messages.error(request, f"Reply not sent: {error.detail}")
            return self.case_page(request, case, reply_form=form)
        messages.success(request, _reply_report(sent, user, len(uploads)))
        return self._done(request, sent.case, then)

    def _collision(
        self, request: HttpRequest, case: Case, form: ReplyForm, newer: list[Comment]
    ) -> HttpResponse:
        names = ", ".join(sorted({str(comment.author) for comment in newer}))
        lost = " Attach your files again." if request.FILES else ""
        messages.warning(
            request,
            f"Not sent: {names} wrote on {case.number} while you were writing. "
            f"Read {'it' if len(newer) == 1 else 'them'} below, then send again.{lost}",
        )
        data = request.POST.copy()
        data["seen_comment"] = str(newer[-1].pk)
        return self.case_page(request, case, reply_form=ReplyForm(data), collisions=newer, status=409)

    def note_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = staff_user(request)
        case = self.case_for(request, case_id)
        form = ReplyForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, _form_problem(form, "Write the note first."))
            return self.case_page(request, case, note_form=form)
        uploads = form.cleaned_data["attachments"]
        then = self._next_place(request, case)
        try:
            case_reply_send(
                case=case, author=user, body=form.cleaned_data["body"], is_internal=True, uploads=uploads
            )
        except ApplicationError as error:
            messages.error(request, f"Note not saved: {error.detail}")
            return self.case_page(request, case, note_form=form)
        attached = f" with {_files(len(uploads))}" if uploads else ""
        messages.success(request, f"{case.number}: internal note added{attached}.")
        return self._done(request, case, then)

    # --- assignment and priority --------------------------------------------------------------------

    def assign_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = staff_user(request)
        case = self.case_for(request, case_id)
        form = AssignForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an active analyst.")
            return self.back_to_case(request, case)
        assignee: User | None = form.cleaned_data["assignee"]
        then = self._next_place(request, case)
        if assignee is not None and assignee.pk == case.assignee_id:
            messages.info(request, f"{case.number} is already {'yours' if assignee == user else assignee}.")
            return self._done(request, case, then)
        try:
            case_assign(case=case, actor=user, assignee=assignee)
        except ApplicationError as error:
            messages.error(request, f"Not assigned: {error.detail}")
            return self.back_to_case(request, case)
        who = "you" if assignee == user else (str(assignee) if assignee else "nobody")
        messages.success(request, f"{case.number} assigned to {who}.")
        return self._done(request, case, then)

    def priority_view(self, request: HttpRequest, case_id: int) -> HttpResponse:
        user = staff_user(request)
        case = self.case_for(request, case_id)
        form = PriorityForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose a priority and say why it changes.")
            return self.back_to_case(request, case)
        previous = case.priority
        then = self._next_place(request, case)
        try:
            case = case_priority_override(
                case=case,
                actor=user,
                priority=form.cleaned_data["priority"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, f"Priority unchanged: {error.detail}")
            return self.back_to_case(request, case)
        if case.priority == previous:
            messages.info(request, f"{case.number} is already {previous}.")
        else:
            messages.success(
                request, f"{case.number}: priority {previous} → {case.priority}; SLA targets recomputed."
            )
        return self._done(request, case, then)


def _form_problem(form: ReplyForm, missing_body: str) -> str:
    if "body" in form.errors:
        return missing_body
    if "attachments" in form.errors:
        return f"Files not accepted: {' '.join(str(error) for error in form.errors['attachments'])}"
    return "The form was incomplete; reload the case and try again."


def _reply_report(sent: ReplySent, user: User, files: int) -> str:
    case = sent.case
    parts = [f"{case.number}: public reply sent"]
    if sent.transition:
        parts[0] = f"{case.number}: reply sent with '{transition_label(sent.transition)}'"
        parts.append(f"now '{case.get_status_display()}'")
    if sent.priority_changed:
        parts.append(f"priority {case.priority}")
    if sent.assigned_to is not None:
        parts.append(f"assigned to {'you' if sent.assigned_to == user else sent.assigned_to}")
    if files:
        parts.append(f"{_files(files)} attached")
    return "; ".join(parts) + "."
