"""A case's files: uploading and downloading."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import ACTING_FOR_COMPANY
from cases.api.serializers import AttachmentCreateInputSerializer, AttachmentOutputSerializer
from cases.api.views.base import CaseScopedApi, created_location, request_user
from cases.models import Case
from cases.selectors import attachment_get_for_user, attachment_list_for_user, comment_list_for_user
from cases.services import attachment_add
from cases.services.attachments import ALLOWED_TYPES
from core.errors import NotFound
from core.pagination import LimitOffsetPagination
from core.schema import raises

logger = logging.getLogger(__name__)


@extend_schema_view(
    get=extend_schema(operation_id="cases_attachments_list", summary="List a case's attachments")
)
class CaseAttachmentListCreateApi(CaseScopedApi, generics.ListAPIView):
    """The case's files (customers do not see those attached to internal notes)."""

    serializer_class = AttachmentOutputSerializer
    pagination_class = LimitOffsetPagination
    parser_classes = [MultiPartParser]  # the one endpoint that takes a file

    @staticmethod
    def request_body_max_bytes() -> int:
        """One file of up to ATTACHMENT_MAX_BYTES beside ordinary form fields (core.limits)."""
        return int(settings.ATTACHMENT_MAX_BYTES + settings.REQUEST_BODY_MAX_BYTES)

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        return attachment_list_for_user(user=request_user(self.request), case=self.get_case())

    @extend_schema(
        operation_id="cases_attachments_create",
        summary="Attach a file to a case",
        description="Multipart: `file` (at most ATTACHMENT_MAX_BYTES, 25 MB by default: images, video, "
        "text and logs, CSV, ZIP, PDF, HAR and JSON, whose content must match the name) and optionally "
        "`comment`, the id of a comment of this case it belongs to. `Location` is its download URL.",
        request={"multipart/form-data": AttachmentCreateInputSerializer},
        responses={201: AttachmentOutputSerializer},
        extensions=raises(
            "file_too_large",
            "unsupported_file_type",
            "file_content_mismatch",
            "case_closed",
            *ACTING_FOR_COMPANY,
        ),
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        case = self.get_case()
        data = AttachmentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = None
        if (comment_id := data.validated_data.get("comment")) is not None:
            comment = comment_list_for_user(user=user, case=case).filter(pk=comment_id).first()
            if comment is None:
                raise NotFound(_("Comment not found on this case."))
        attachment = attachment_add(
            case=case, uploaded_by=user, upload=data.validated_data["file"], comment=comment
        )
        location = created_location(
            request, "case-attachment-download", case_id=case.pk, attachment_id=attachment.pk
        )
        return Response(
            AttachmentOutputSerializer(attachment).data, status=status.HTTP_201_CREATED, headers=location
        )


# The file as it was stored: one of the accepted types. JSON (and HAR) files come last: a generated
# client reads a download by the first type listed, and must read it as bytes, not parse it.
_DOWNLOAD_RESPONSES: dict[Any, Any] = {
    (200, content_type): OpenApiTypes.BINARY
    for content_type in sorted(
        set(ALLOWED_TYPES.values()), key=lambda name: (name == "application/json", name)
    )
}


class AttachmentDownloadApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_attachments_download",
        summary="Download an attachment",
        description="The file, as uploaded (`Content-Disposition: attachment` with its name).",
        responses=_DOWNLOAD_RESPONSES,
        extensions=raises("attachment_file_missing"),
    )
    def get(self, request: Request, case_id: int, attachment_id: int) -> FileResponse:
        attachment = attachment_get_for_user(
            user=request_user(request), case=self.get_case(), attachment_id=attachment_id
        )
        try:
            stored = attachment.file.open("rb")
        except FileNotFoundError:
            # The row outlived its file (a lost volume, a restore without media): the client cannot
            # fix that, but it deserves to know what is missing; operators get the log line.
            logger.error("attachment %s of case %s has no stored file", attachment.pk, case_id)
            raise NotFound(
                _("The file of this attachment is no longer stored. Ask support to attach it again."),
                code="attachment_file_missing",
            ) from None
        return FileResponse(
            stored,
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )
