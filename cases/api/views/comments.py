"""A case's comments."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import ACTING_FOR_COMPANY
from cases.api.schema import IDEMPOTENCY_ERRORS, IDEMPOTENCY_HEADER
from cases.api.serializers import CommentCreateInputSerializer, CommentOutputSerializer
from cases.api.views.base import CaseScopedApi, created_location, request_user
from cases.models import Comment
from cases.selectors import comment_get_for_user, comment_just_added, comment_list_for_user
from cases.services import comment_create
from core.idempotency import idempotency_key_from
from core.pagination import LimitOffsetPagination
from core.schema import raises


@extend_schema_view(get=extend_schema(operation_id="cases_comments_list", summary="List a case's comments"))
class CaseCommentListCreateApi(CaseScopedApi, generics.ListAPIView):
    """The case's comments, oldest first (customers never see internal notes)."""

    serializer_class = CommentOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return comment_list_for_user(user=request_user(self.request), case=self.get_case(preload=False))

    @extend_schema(
        operation_id="cases_comments_create",
        summary="Comment on a case",
        request=CommentCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: CommentOutputSerializer, 200: CommentOutputSerializer},
        extensions=raises(
            "internal_comment_forbidden", "case_closed", *ACTING_FOR_COMPANY, *IDEMPOTENCY_ERRORS
        ),
        description="Comment. A customer comment on a `pending_customer` case moves it back to `in_progress`. "
        "A public comment contacts support: refused with `dsu_required`, `partner_not_serving_company` or "
        "`membership_inactive` to people who may not act for the company; internal notes are support's "
        "(`internal_comment_forbidden`).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        data = CommentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # One read: the service's locking read is the visibility check (404).
        comment, created = comment_create(
            case_id=case_id, author=user, idempotency_key=idempotency_key_from(request), **data.validated_data
        )
        if not created:  # the comment the Idempotency-Key first stored, as stored now
            comment = comment_list_for_user(user=user, case=comment.case).get(pk=comment.pk)
            return Response(CommentOutputSerializer(comment).data)
        return Response(
            CommentOutputSerializer(comment_just_added(comment=comment)).data,
            status=status.HTTP_201_CREATED,
            headers=created_location(request, "case-comment", case_id=case_id, comment_id=comment.pk),
        )


class CaseCommentDetailApi(CaseScopedApi):
    @extend_schema(
        operation_id="cases_comments_retrieve",
        summary="Read a comment",
        description="One comment of the case (customers never see internal notes: those answer 404).",
        responses={200: CommentOutputSerializer},
    )
    def get(self, request: Request, case_id: int, comment_id: int) -> Response:
        user = request_user(request)
        comment = comment_get_for_user(user=user, case=self.get_case(preload=False), comment_id=comment_id)
        return Response(CommentOutputSerializer(comment).data)
