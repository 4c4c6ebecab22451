from __future__ import annotations

from datetime import datetime
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cases.models import Attachment, Case, CaseEvent, CaseStatus, Comment
from cases.selectors import case_acting_check
from cases.services.events import case_event_record
from core.errors import Conflict, PayloadTooLarge, UnsupportedMediaType

# Screenshots, short videos, issue-recorder recordings (zip), log files, HAR captures, PDFs.
ALLOWED_TYPES: dict[str, str] = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mov": "video/quicktime",
    ".txt": "text/plain",
    ".log": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
    ".pdf": "application/pdf",
    ".har": "application/json",
    ".json": "application/json",
}
# Leading bytes of binary formats: a renamed executable does not pass as a screenshot.
_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/pdf": (b"%PDF-",),
}


def attachment_type_check(*, filename: str, head: bytes) -> str:
    """The stored content type for an upload, or 415 ``unsupported_file_type``."""
    extension = PurePath(filename).suffix.lower()
    content_type = ALLOWED_TYPES.get(extension)
    allowed = ", ".join(sorted(ALLOWED_TYPES))
    if content_type is None:
        raise UnsupportedMediaType(
            _("'%(filename)s' is not an accepted file type. Accepted: %(allowed)s.")
            % {"filename": filename, "allowed": allowed},
            code="unsupported_file_type",
        )
    signatures = _MAGIC.get(content_type)
    if signatures and not head.startswith(signatures):
        raise UnsupportedMediaType(
            _("'%(filename)s' does not contain what its name says (%(content_type)s).")
            % {"filename": filename, "content_type": content_type},
            code="file_content_mismatch",
        )
    return content_type


def attachment_upload_check(*, upload: UploadedFile) -> tuple[str, str]:
    """The stored file name and content type of an upload within the limits (413 ``file_too_large``,
    415 ``unsupported_file_type`` / ``file_content_mismatch``). Callers storing several files check
    them all with it before writing anything."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise PayloadTooLarge(
            _("'%(filename)s' is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"filename": upload.name, "size": f"{upload.size or 0:,}", "limit": f"{limit:,}"},
            code="file_too_large",
            extra={"max_bytes": limit},
        )
    filename = PurePath(upload.name or "upload").name[:200]
    upload.seek(0)
    content_type = attachment_type_check(filename=filename, head=upload.read(16))
    upload.seek(0)
    return filename, content_type


@transaction.atomic
def attachment_add(
    *,
    case: Case,
    uploaded_by: User,
    upload: UploadedFile,
    comment: Comment | None = None,
    now: datetime | None = None,
) -> Attachment:
    """Store an upload on a case (or one of its comments) through Django's storage API. Customer-side
    uploaders must be allowed to act for the case's company (``case_acting_check``)."""
    now = now or timezone.now()
    case_acting_check(case=case, user=uploaded_by, action=_("add attachments to a case"))
    if case.status == CaseStatus.CLOSED and not uploaded_by.is_staff:
        raise Conflict(
            _("%(case)s is closed: reopen it or open a follow-up.") % {"case": case.number},
            code="case_closed",
        )
    filename, content_type = attachment_upload_check(upload=upload)
    attachment = Attachment(
        case=case,
        comment=comment,
        filename=filename,
        content_type=content_type,
        size=upload.size or 0,  # checked above: never None here
        uploaded_by=uploaded_by,
        created_at=now,
    )
    attachment.file.save(filename, upload, save=False)
    try:
        attachment.save()
        case_event_record(
            case=case,
            type=CaseEvent.Type.ATTACHMENT_ADDED,
            actor=uploaded_by,
            at=now,
            is_internal=comment is not None and comment.is_internal,
            data={
                "attachment_id": attachment.pk,
                "filename": filename,
                "size": upload.size,
                **({"comment_id": comment.pk} if comment is not None else {}),
            },
        )
    except Exception:
        attachment.file.delete(save=False)  # storage is not transactional: do not leave an orphan file
        raise
    return attachment
