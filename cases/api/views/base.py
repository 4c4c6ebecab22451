"""What every cases API view shares: the calling user, the ``Location`` of a created resource, the
case detail answer, and the case named by the URL."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework.request import Request
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from accounts.models import User
from cases.api.serializers import CaseDetailOutputSerializer
from cases.models import Case
from cases.selectors import available_transitions_for, case_get_for_user
from sla.selectors import sla_timer_summaries


def request_user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def created_location(request: Request, name: str, **kwargs: int) -> dict[str, str]:
    """The ``Location`` header of a 201: the created resource's URL."""
    return {"Location": reverse(name, kwargs=kwargs, request=request)}


def case_detail_answer(case: Case, user: User) -> dict[str, Any]:
    context = {
        "available_transitions": available_transitions_for(case=case, user=user),
        "sla": sla_timer_summaries(case=case, now=timezone.now()),
    }
    return CaseDetailOutputSerializer(case, context=context).data


class CaseScopedApi(APIView):
    """Resolves ``case_id`` from the URL through the one visibility check."""

    def get_case(self, *, preload: bool = True) -> Case:
        """``preload=False``: the bare row, for sub-resources filtered by the case and services that
        lock and re-read it."""
        return case_get_for_user(
            user=request_user(self.request), case_id=self.kwargs["case_id"], preload=preload
        )
