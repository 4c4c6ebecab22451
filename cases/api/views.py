from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import generics, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.api.views import partner_scope_from
from accounts.errors import ACTING_FOR_COMPANY
from accounts.models import Company, Product, ProductInstance, User
from accounts.selectors import company_get_for_user, membership_for
from cases.api.filters import CaseFilter
from cases.api.serializers import (
    ApplicationAreaOutputSerializer,
    AssignInputSerializer,
    AttachmentCreateInputSerializer,
    AttachmentOutputSerializer,
    CaseCreateInputSerializer,
    CaseDetailOutputSerializer,
    CaseEventOutputSerializer,
    CaseFollowOutputSerializer,
    CaseListOutputSerializer,
    CaseTransitionInputSerializer,
    CatalogEntryOutputSerializer,
    CommentCreateInputSerializer,
    CommentOutputSerializer,
    EscalationCreateInputSerializer,
    EscalationDecisionInputSerializer,
    EscalationOutputSerializer,
    OutOfScopeReasonOutputSerializer,
    PriorityOverrideInputSerializer,
    ProductOutputSerializer,
)
from cases.models import (
    ApplicationArea,
    Case,
    CaseEvent,
    CaseReason,
    Comment,
    EscalationRequest,
    OutOfScopeReason,
)
from cases.selectors import (
    attachment_get_for_user,
    attachment_list_for_user,
    available_transitions_for,
    case_detail_get_for_user,
    case_following,
    case_following_just_opened,
    case_get_for_user,
    case_list_page_for_user,
    comment_get_for_user,
    comment_just_added,
    comment_list_for_user,
    escalation_get_for_user,
    escalation_list_for_user,
    event_list_for_user,
)
from cases.services import (
    attachment_add,
    case_assign,
    case_create,
    case_follow,
    case_priority_override,
    case_transition,
    case_unfollow,
    comment_create,
    escalation_decide,
    escalation_request,
)
from cases.services.attachments import ALLOWED_TYPES
from core.api.etags import conditional_response
from core.api.filters import FilterBackend, OrderingFilter
from core.errors import NotFound, ValidationFailed
from core.idempotency import IdempotencyKey, idempotency_key_from
from core.pagination import CursorPagination, LimitOffsetPagination
from core.schema import raises
from sla.selectors import sla_timer_summaries

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Repeat-safe creation: the same key from the same user within 24 hours answers the first "
    "result (200) instead of creating another; the same key with a different body is 422 "
    "`idempotency_key_reused`. 1 to 200 printable ASCII characters, e.g. a UUID.",
)
IDEMPOTENCY_ERRORS = ("invalid_idempotency_key", "idempotency_key_reused")


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _idempotency_key(request: Request) -> IdempotencyKey | None:
    return idempotency_key_from(request)


def _location(request: Request, name: str, **kwargs: int) -> dict[str, str]:
    """The ``Location`` header of a 201: the created resource's URL."""
    return {"Location": reverse(name, kwargs=kwargs, request=request)}


def _case_detail(case: Case, user: User) -> dict[str, Any]:
    context = {
        "available_transitions": available_transitions_for(case=case, user=user),
        "sla": sla_timer_summaries(case=case, now=timezone.now()),
    }
    return CaseDetailOutputSerializer(case, context=context).data


class _CaseScopedApi(APIView):
    """Resolves ``case_id`` from the URL through the one visibility check."""

    def get_case(self, *, preload: bool = True) -> Case:
        """``preload=False``: the bare row, for sub-resources filtered by the case and services that
        lock and re-read it."""
        return case_get_for_user(user=_user(self.request), case_id=self.kwargs["case_id"], preload=preload)


@extend_schema_view(
    get=extend_schema(
        operation_id="cases_list",
        summary="List cases",
        description="Cases the caller may see, newest first unless `ordering` says otherwise, in cursor "
        "pages: follow `next` and `previous` as they are. Filters combine with AND; `status` and "
        "`priority` may repeat.",
        extensions=raises("invalid_scope", "invalid"),
        parameters=[
            OpenApiParameter(
                "scope",
                str,
                enum=["establishment", "partner"],
                description="Partner users: how wide to look.",
            )
        ],
    )
)
class CaseListCreateApi(generics.ListAPIView):
    """Cases I may see (filters, search, ordering, cursor pages), and opening a case."""

    serializer_class = CaseListOutputSerializer
    pagination_class = CursorPagination
    filter_backends = [FilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = ["created_at", "updated_at", "priority", "status_changed_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self) -> QuerySet[Case]:
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        blank = sorted(name for name, value in self.request.query_params.items() if value == "")
        if blank:  # an empty filter is a client bug, not "no filter"
            raise ValidationFailed(
                _("Empty query parameters: %(names)s.") % {"names": ", ".join(blank)}, code="invalid"
            )
        return case_list_page_for_user(user=_user(self.request), scope=partner_scope_from(self.request))

    @extend_schema(
        operation_id="cases_create",
        summary="Open a case",
        request=CaseCreateInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        examples=[
            OpenApiExample(
                "A production outage",
                request_only=True,
                value={
                    "product_instance": 1,
                    "subject": "Journal posting fails with E1234",
                    "problem_summary": "Posting any journal entry fails since 09:00.",
                    "error_message": "E1234: ledger locked by another session",
                    "occurred_at": "2026-06-01T09:05:00Z",
                    "users_affected": "All 40 accountants, Paris office",
                    "replication_steps": "1. Open General Ledger 2. Post any entry",
                    "expected_result": "Expected the entry to post; got E1234.",
                    "worked_before": "Yes, until yesterday's release.",
                    "troubleshooting_tried": "Logged out and in; cleared the browser cache.",
                    "reason": "system-issue",
                    "application_area": "general-ledger",
                    "business_impact_scope": "organisation",
                    "business_impact": "high",
                },
            ),
            OpenApiExample(
                "A follow-up of a case closed more than 3 days ago",
                request_only=True,
                value={
                    "follow_up_of": 42,
                    "subject": "E1234 is back",
                    "problem_summary": "The fix from CS-000042 no longer holds.",
                    "reason": "system-issue",
                    "application_area": "general-ledger",
                    "business_impact_scope": "group",
                    "business_impact": "medium",
                },
            ),
        ],
        responses={201: CaseDetailOutputSerializer, 200: CaseDetailOutputSerializer},
        description="Open a case. In the US only designated support users may (`dsu_required`). Answers 201 "
        "with `Location`, or 200 with the first case when the Idempotency-Key was already used for this "
        "same request. `follow_up_of` names a case closed more than 3 days ago; partner users name the "
        "client `company`. The catalogue endpoints list the codes for `reason` and `application_area`.",
        extensions=raises(
            "company_required",
            "product_instance_required",
            "product_instance_not_in_company",
            "follow_up_of_not_closed",
            "follow_up_of_other_company",
            "inactive_case_reason",
            "inactive_application_area",
            "application_area_mismatch",
            "not_found",
            *ACTING_FOR_COMPANY,
            *IDEMPOTENCY_ERRORS,
        ),
    )
    def post(self, request: Request) -> Response:
        user = _user(request)
        data = CaseCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        company = self._company(user, values.pop("company", None))
        instance_id = values.pop("product_instance", None)
        follow_up_id = values.pop("follow_up_of", None)
        product_instance = None
        if instance_id is not None:
            product_instance = (
                ProductInstance.objects.filter(pk=instance_id, company=company)
                .select_related("product")
                .first()
            )
            if product_instance is None:
                raise ValidationFailed(
                    _("That product instance does not belong to the company."),
                    code="product_instance_not_in_company",
                )
        follow_up_of = case_get_for_user(user=user, case_id=follow_up_id) if follow_up_id else None
        case, created = case_create(
            opened_by=user,
            company=company,
            product_instance=product_instance,
            follow_up_of=follow_up_of,
            idempotency_key=_idempotency_key(request),
            **values,
        )
        if created:
            # A new case is answered from the service's instance, which holds every relation the
            # detail shows (the request's own objects): reading it back cost a query and ~3 ms.
            setattr(case, "following", case_following_just_opened(case=case, user=user))  # noqa: B010
        else:  # the case the Idempotency-Key first opened, as stored now
            case = case_detail_get_for_user(user=user, case_id=case.pk)
        if not created:
            return Response(_case_detail(case, user))
        location = _location(request, "case-detail", case_id=case.pk)
        return Response(_case_detail(case, user), status=status.HTTP_201_CREATED, headers=location)

    @staticmethod
    def _company(user: User, company_id: int | None) -> Company:
        membership = membership_for(user)
        if company_id is not None:
            return company_get_for_user(user=user, company_id=company_id)
        if membership is not None and membership.company is not None:
            return membership.company
        raise ValidationFailed(_("Say which client company the case is for."), code="company_required")


class CaseDetailApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_retrieve",
        summary="Read a case",
        description="The case as the caller sees it: `whose_move`, the `available_transitions` the caller "
        "may make (with the fields each needs), whether the caller is `following` it, and its SLA timers. "
        "The answer carries an `ETag`; send it back as `If-None-Match` to get 304 without a body while "
        "nothing the caller would read has changed (a running SLA timer's time left changes it too).",
        parameters=[
            OpenApiParameter(
                "If-None-Match", str, OpenApiParameter.HEADER, description="An `ETag` of an earlier answer."
            )
        ],
        responses={200: CaseDetailOutputSerializer, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        return conditional_response(
            request, _case_detail(case_detail_get_for_user(user=user, case_id=case_id), user)
        )


class CaseTransitionApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_transition",
        summary="Move a case to another status",
        request=CaseTransitionInputSerializer,
        responses={200: CaseDetailOutputSerializer},
        extensions=raises(
            "unknown_transition",
            "field_required",
            "reason_required",
            "release_date_in_past",
            "inactive_out_of_scope_reason",
            "transition_not_allowed",
            "invalid_transition",
            "conflict",
            "reopen_window_expired",
            *ACTING_FOR_COMPANY,
        ),
        examples=[
            OpenApiExample("Take an open case", request_only=True, value={"transition": "start"}),
            OpenApiExample(
                "Ask the customer for something",
                request_only=True,
                value={
                    "transition": "request_customer_action",
                    "message": "Please attach the issue-recorder zip.",
                },
            ),
            OpenApiExample(
                "Wait for a release",
                request_only=True,
                value={"transition": "await_release", "tentative_release_date": "2026-07-15"},
            ),
            OpenApiExample(
                "Confirm the fix (customer)", request_only=True, value={"transition": "confirm_resolution"}
            ),
        ],
        description="Move the case. `available_transitions` on the case lists what the caller may do and "
        "which fields each needs. Refusals: `dsu_required`, `partner_not_serving_company`, `membership_inactive` "
        "(who may act for the company), `invalid_transition`, `transition_not_allowed`, `field_required`, "
        "`conflict`, `reopen_window_expired` (with `follow_up_of` to open a follow-up case).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        data = CaseTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # One read: the service's locking read is the visibility check (404), and the answer is the
        # row it locked and changed, which holds every relation the detail shows.
        case = case_transition(case_id=case_id, actor=user, **data.validated_data)
        setattr(case, "following", case_following(case=case, user=user))  # noqa: B010
        return Response(_case_detail(case, user))


class CaseFollowApi(_CaseScopedApi):
    """Follow a case to get its notices (as its opener does), or stop."""

    @extend_schema(
        operation_id="cases_follow",
        summary="Follow a case",
        request=None,
        responses={201: CaseFollowOutputSerializer, 200: CaseFollowOutputSerializer},
        examples=[
            OpenApiExample(
                "Following",
                response_only=True,
                status_codes=["201", "200"],
                value={"case": 42, "following": True, "since": "2026-06-01T09:05:00Z"},
            ),
        ],
        extensions=raises("follow_not_allowed", "always_notified"),
        description="Get the case's customer notices (replies, pending customer, verify resolution, "
        "closed, reopened, escalations) as its opener does. Who may: whoever may act for the case's "
        "company (in the US designated support users and managers; elsewhere any active member; "
        "partner users whose own establishment serves it). Answers 201, or 200 when already "
        "following. Refusals: 403 `follow_not_allowed` (with `reason`: `dsu_required`, "
        "`partner_not_serving_company`, `membership_inactive`, `support_staff`), 409 `always_notified` "
        "(the opener and the contact a case was opened for).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        follower, created = case_follow(case=self.get_case(), user=_user(request))
        if not created:
            return Response(CaseFollowOutputSerializer(follower).data)
        return Response(
            CaseFollowOutputSerializer(follower).data,
            status=status.HTTP_201_CREATED,
            headers=_location(request, "case-detail", case_id=case_id),  # its `following` reads it
        )

    @extend_schema(
        operation_id="cases_unfollow",
        summary="Stop following a case",
        request=None,
        responses={204: None},
        extensions=raises("always_notified"),
        description="Stop following (204, also when not following). The opener and contact cannot: "
        "409 `always_notified`.",
    )
    def delete(self, request: Request, case_id: int) -> Response:
        case_unfollow(case=self.get_case(), user=_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(get=extend_schema(operation_id="cases_comments_list", summary="List a case's comments"))
class CaseCommentListCreateApi(_CaseScopedApi, generics.ListAPIView):
    """The case's comments, oldest first (customers never see internal notes)."""

    serializer_class = CommentOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[Comment]:
        if getattr(self, "swagger_fake_view", False):
            return Comment.objects.none()
        return comment_list_for_user(user=_user(self.request), case=self.get_case(preload=False))

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
        user = _user(request)
        data = CommentCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # One read: the service's locking read is the visibility check (404).
        comment, created = comment_create(
            case_id=case_id, author=user, idempotency_key=_idempotency_key(request), **data.validated_data
        )
        if not created:  # the comment the Idempotency-Key first stored, as stored now
            comment = comment_list_for_user(user=user, case=comment.case).get(pk=comment.pk)
            return Response(CommentOutputSerializer(comment).data)
        return Response(
            CommentOutputSerializer(comment_just_added(comment=comment)).data,
            status=status.HTTP_201_CREATED,
            headers=_location(request, "case-comment", case_id=case_id, comment_id=comment.pk),
        )


class CaseCommentDetailApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_comments_retrieve",
        summary="Read a comment",
        description="One comment of the case (customers never see internal notes: those answer 404).",
        responses={200: CommentOutputSerializer},
    )
    def get(self, request: Request, case_id: int, comment_id: int) -> Response:
        user = _user(request)
        comment = comment_get_for_user(user=user, case=self.get_case(preload=False), comment_id=comment_id)
        return Response(CommentOutputSerializer(comment).data)


@extend_schema_view(
    get=extend_schema(operation_id="cases_attachments_list", summary="List a case's attachments")
)
class CaseAttachmentListCreateApi(_CaseScopedApi, generics.ListAPIView):
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
        return attachment_list_for_user(user=_user(self.request), case=self.get_case())

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
        user = _user(request)
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
        location = _location(
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


class AttachmentDownloadApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_attachments_download",
        summary="Download an attachment",
        description="The file, as uploaded (`Content-Disposition: attachment` with its name).",
        responses=_DOWNLOAD_RESPONSES,
    )
    def get(self, request: Request, case_id: int, attachment_id: int) -> FileResponse:
        attachment = attachment_get_for_user(
            user=_user(request), case=self.get_case(), attachment_id=attachment_id
        )
        return FileResponse(
            attachment.file.open("rb"),
            as_attachment=True,
            filename=attachment.filename,
            content_type=attachment.content_type,
        )


@extend_schema_view(get=extend_schema(operation_id="cases_events_list", summary="Read a case's history"))
class CaseEventListApi(_CaseScopedApi, generics.ListAPIView):
    """The case's history, oldest first (customers do not see internal events)."""

    serializer_class = CaseEventOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[CaseEvent]:
        if getattr(self, "swagger_fake_view", False):
            return CaseEvent.objects.none()
        return event_list_for_user(user=_user(self.request), case=self.get_case(preload=False))


@extend_schema_view(
    get=extend_schema(operation_id="cases_escalations_list", summary="List a case's escalation requests")
)
class CaseEscalationListCreateApi(_CaseScopedApi, generics.ListAPIView):
    """Escalation requests on the case, and how support managers decided them."""

    serializer_class = EscalationOutputSerializer
    pagination_class = LimitOffsetPagination

    def get_queryset(self) -> QuerySet[EscalationRequest]:
        if getattr(self, "swagger_fake_view", False):
            return EscalationRequest.objects.none()
        return escalation_list_for_user(user=_user(self.request), case=self.get_case())

    @extend_schema(
        operation_id="cases_escalations_create",
        summary="Ask for an escalation",
        request=EscalationCreateInputSerializer,
        responses={201: EscalationOutputSerializer},
        extensions=raises("customer_only", "case_closed", "escalation_already_pending", *ACTING_FOR_COMPANY),
        description="Ask for escalation (customers who may act for the company). Refusals: `dsu_required`, "
        "`partner_not_serving_company`, `membership_inactive`, `customer_only`, `escalation_already_pending`, "
        "`case_closed`.",
    )
    def post(self, request: Request, case_id: int) -> Response:
        data = EscalationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        escalation = escalation_request(
            case=self.get_case(), requested_by=_user(request), message=data.validated_data["message"]
        )
        location = _location(request, "case-escalation", case_id=case_id, escalation_id=escalation.pk)
        return Response(
            EscalationOutputSerializer(escalation).data, status=status.HTTP_201_CREATED, headers=location
        )


class CaseEscalationDetailApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_escalations_retrieve",
        summary="Read an escalation request",
        description="One escalation request of the case, with its decision when there is one.",
        responses={200: EscalationOutputSerializer},
    )
    def get(self, request: Request, case_id: int, escalation_id: int) -> Response:
        escalation = escalation_get_for_user(
            user=_user(request), case=self.get_case(), escalation_id=escalation_id
        )
        return Response(EscalationOutputSerializer(escalation).data)


class _EscalationDecisionApi(_CaseScopedApi):
    accept = True

    def post(self, request: Request, case_id: int, escalation_id: int) -> Response:
        user = _user(request)
        escalation = escalation_get_for_user(user=user, case=self.get_case(), escalation_id=escalation_id)
        data = EscalationDecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = escalation_decide(
            escalation=escalation, decided_by=user, accept=self.accept, reason=data.validated_data["reason"]
        )
        return Response(EscalationOutputSerializer(decided).data)


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_escalations_accept",
        summary="Accept an escalation request",
        request=EscalationDecisionInputSerializer,
        responses={200: EscalationOutputSerializer},
        description="Support managers: accept, raising the escalation level.",
        extensions=raises("support_manager_required", "escalation_not_pending"),
    )
)
class EscalationAcceptApi(_EscalationDecisionApi):
    accept = True


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_escalations_decline",
        summary="Decline an escalation request",
        request=EscalationDecisionInputSerializer,
        responses={200: EscalationOutputSerializer},
        description="Support managers: decline, saying why.",
        extensions=raises("support_manager_required", "escalation_not_pending"),
    )
)
class EscalationDeclineApi(_EscalationDecisionApi):
    accept = False


class CasePriorityApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_priority_override",
        summary="Override a case's priority",
        request=PriorityOverrideInputSerializer,
        responses={200: CaseDetailOutputSerializer},
        extensions=raises("support_only", "invalid_priority", "reason_required"),
        description="Support: override the matrix's priority, with a reason (recorded).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        data = PriorityOverrideInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_priority_override(case=self.get_case(), actor=user, **data.validated_data)
        return Response(_case_detail(case_detail_get_for_user(user=user, case_id=case.pk), user))


class CaseAssignApi(_CaseScopedApi):
    @extend_schema(
        operation_id="cases_assign",
        summary="Assign a case",
        request=AssignInputSerializer,
        responses={200: CaseDetailOutputSerializer},
        extensions=raises("support_only", "assignee_not_staff"),
        description="Support: assign to an analyst, or null to unassign.",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = _user(request)
        data = AssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assignee_id = data.validated_data["assignee"]
        assignee = None
        if assignee_id is not None:
            # Only active staff are looked for, and anyone else answers as nobody does: the reply
            # never tells whether an id names a customer somewhere. Non-staff callers are refused by
            # the service whatever the id.
            assignee = User.objects.filter(pk=assignee_id, is_staff=True, is_active=True).first()
            if assignee is None and user.is_staff:
                raise ValidationFailed(
                    _("Cases are assigned to active support staff."), code="assignee_not_staff"
                )
        case = case_assign(case=self.get_case(), actor=user, assignee=assignee)
        return Response(_case_detail(case_detail_get_for_user(user=user, case_id=case.pk), user))


def _catalog_view(
    name: str, model: type[Any], serializer: type[Any], **filters: Any
) -> type[generics.ListAPIView]:
    @extend_schema_view(
        get=extend_schema(
            operation_id=f"catalog_{name}_list",
            summary=f"List {name.replace('_', ' ').replace('out of scope', 'out-of-scope')}",
        )
    )
    class CatalogApi(generics.ListAPIView):
        serializer_class = serializer
        pagination_class = None

        def get_queryset(self) -> QuerySet[Any]:
            return model.objects.filter(is_active=True, **filters)

    CatalogApi.__name__ = CatalogApi.__qualname__ = f"Catalog{name.title().replace('_', '')}Api"
    CatalogApi.__doc__ = f"Active {name.replace('_', ' ')} (codes to send when opening a case)."
    return CatalogApi


CaseReasonListApi = _catalog_view("case_reasons", CaseReason, CatalogEntryOutputSerializer)
ApplicationAreaListApi = _catalog_view("application_areas", ApplicationArea, ApplicationAreaOutputSerializer)
OutOfScopeReasonListApi = _catalog_view(
    "out_of_scope_reasons", OutOfScopeReason, OutOfScopeReasonOutputSerializer
)
ProductListApi = _catalog_view("products", Product, ProductOutputSerializer)
