"""Moving a case through its statuses."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.errors import ACTING_FOR_COMPANY
from cases.api.schema import CASE_TRANSITION_EXAMPLES
from cases.api.serializers import CaseDetailOutputSerializer, CaseTransitionInputSerializer
from cases.api.views.base import CaseScopedApi, case_detail_answer, request_user
from cases.selectors import case_following
from cases.services import case_transition
from core.schema import raises


class CaseTransitionApi(CaseScopedApi):
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
        examples=CASE_TRANSITION_EXAMPLES,
        description="Move the case. `available_transitions` on the case lists what the caller may do and "
        "which fields each needs. Refusals: `dsu_required`, `partner_not_serving_company`, `membership_inactive` "
        "(who may act for the company), `invalid_transition`, `transition_not_allowed`, `field_required`, "
        "`conflict`, `reopen_window_expired` (with `follow_up_of` to open a follow-up case).",
    )
    def post(self, request: Request, case_id: int) -> Response:
        user = request_user(request)
        data = CaseTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # One read: the service's locking read is the visibility check (404), and the answer is the
        # row it locked and changed, which holds every relation the detail shows.
        case = case_transition(case_id=case_id, actor=user, **data.validated_data).case
        setattr(case, "following", case_following(case=case, user=user))  # noqa: B010
        return Response(case_detail_answer(case, user))
