"""A reply or internal note written in the workspace: its files, and what a macro sets with it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from cases.models import MACRO_TRANSITIONS, CannedResponse, Case, Comment
from cases.services.attachments import attachment_add, attachment_upload_check
from cases.services.conversation import comment_create
from cases.services.staffing import case_assign, case_priority_override
from cases.services.transitions import case_transition
from core.errors import PermissionRefused


@dataclass(frozen=True)
class MacroUse:
    """A macro sent with a reply, and which of its settings the analyst kept ticked."""

    macro: CannedResponse
    transition: bool = True
    priority: bool = True
    assignee: bool = True

    def assignee_for(self, sender: User) -> User | None:
        return sender if self.macro.assign_to_sender else self.macro.assignee


@dataclass(frozen=True)
class ReplySent:
    case: Case
    comment: Comment | None  # None: the text went out as a proposed resolution (no comment)
    transition: str = ""
    priority_changed: bool = False
    assigned_to: User | None = None


@transaction.atomic
def case_reply_send(
    *,
    case: Case,
    author: User,
    body: str,
    is_internal: bool,
    uploads: Sequence[UploadedFile] = (),
    macro: MacroUse | None = None,
    now: datetime | None = None,
) -> ReplySent:
    """A public reply or an internal note from support, with its files, in one transaction: every
    file is checked (size, type) before anything is written, and a refused step undoes the rest.

    With a macro (public replies only), what the analyst kept ticked is set first (assignee, then
    priority, recorded as set by the macro), then the text goes out: as the macro's transition's
    message or resolution when it carries one, else as a plain reply."""
    now = now or timezone.now()
    if not author.is_staff:
        raise PermissionRefused("Only support staff reply from the workspace.", code="support_only")
    for upload in uploads:
        attachment_upload_check(upload=upload)
    comment: Comment | None = None
    transition = ""
    priority_changed = False
    assigned_to: User | None = None
    if macro is not None and not is_internal:
        target = macro.assignee_for(author)
        if macro.assignee and target is not None and case.assignee_id != target.pk:
            case = case_assign(case=case, actor=author, assignee=target, now=now)
            assigned_to = target
        if macro.priority and macro.macro.priority and case.priority != macro.macro.priority:
            case = case_priority_override(
                case=case,
                actor=author,
                priority=macro.macro.priority,
                reason=f"Macro '{macro.macro.title}'",
                now=now,
            )
            priority_changed = True
        if macro.transition and macro.macro.transition:
            transition = macro.macro.transition
            as_message = MACRO_TRANSITIONS[transition] == "message"
            done = case_transition(
                case=case,
                actor=author,
                transition=transition,
                message=body if as_message else "",
                resolution="" if as_message else body,
                comment_source=Comment.Source.ADMIN,
                now=now,
            )
            case, comment = done.case, done.comment  # the message, posted as the author's comment
    if comment is None and not transition:
        comment, _ = comment_create(
            case=case, author=author, body=body, is_internal=is_internal, source=Comment.Source.ADMIN, now=now
        )
    stored = []
    try:
        for upload in uploads:
            stored.append(
                attachment_add(case=case, uploaded_by=author, upload=upload, comment=comment, now=now)
            )
    except Exception:
        for attachment in stored:  # storage is not transactional: the rollback would orphan them
            attachment.file.delete(save=False)
        raise
    return ReplySent(
        case=case,
        comment=comment,
        transition=transition,
        priority_changed=priority_changed,
        assigned_to=assigned_to,
    )
