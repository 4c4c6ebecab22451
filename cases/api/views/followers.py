"""Following a case, and stopping."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from cases.api.schema import CASE_FOLLOW_EXAMPLES
from cases.api.serializers import CaseFollowOutputSerializer
from cases.api.views.base import CaseScopedApi, created_location, request_user
from cases.services import case_follow, case_unfollow
from core.schema import raises


class CaseFollowApi(CaseScopedApi):
    """Follow a case to get its notices (as its opener does), or stop."""

    @extend_schema(
        operation_id="cases_follow",
        summary="Follow a case",
        request=None,
        responses={201: CaseFollowOutputSerializer, 200: CaseFollowOutputSerializer},
        examples=CASE_FOLLOW_EXAMPLES,
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
        follower, created = case_follow(case=self.get_case(), user=request_user(request))
        if not created:
            return Response(CaseFollowOutputSerializer(follower).data)
        return Response(
            CaseFollowOutputSerializer(follower).data,
            status=status.HTTP_201_CREATED,
            headers=created_location(request, "case-detail", case_id=case_id),  # its `following` reads it
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
        case_unfollow(case=self.get_case(), user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
