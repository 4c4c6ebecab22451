"""Every way a customer-side user contacts support about a case, over the API, and what one
changes: the two security modules run each against people who may and may not act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.test import APIClient

from accounts.models import AuthorizationRequest, Company, User
from cases.models import Attachment, Case, CaseEvent, CaseFollower, CaseStatus, Comment, EscalationRequest
from notifications.models import Notification
from tests.factories import CaseFactory, ProductInstanceFactory


@dataclass(frozen=True)
class Write:
    """One customer-side write: the case status it needs and the API call (client, case, company,
    a colleague the request is about) that makes it."""

    status: str
    call: Callable[[APIClient, Case, Company, User], Response]
    success: int


def _transition(name: str, **fields: str) -> Callable[[APIClient, Case, Company, User], Response]:
    def call(client: APIClient, case: Case, company: Company, colleague: User) -> Response:
        url = reverse("case-transition", args=[case.pk])
        return client.post(url, {"transition": name, **fields}, format="json")

    return call


def _open_case(client: APIClient, case: Case, company: Company, colleague: User) -> Response:
    payload = {
        "company": company.pk,
        "product_instance": case.product_instance_id,
        "subject": "Another problem",
        "problem_summary": "Another problem.",
        "reason": case.reason.code,
        "application_area": case.application_area.code,
        "business_impact_scope": "group",
        "business_impact": "low",
    }
    return client.post(reverse("case-list"), payload, format="json")


WRITES: dict[str, Write] = {
    "comment": Write(
        CaseStatus.IN_PROGRESS,
        lambda c, case, *_: c.post(
            reverse("case-comments", args=[case.pk]), {"body": "Any news?"}, format="json"
        ),
        201,
    ),
    "comment answering pending customer": Write(
        CaseStatus.PENDING_CUSTOMER,
        lambda c, case, *_: c.post(
            reverse("case-comments", args=[case.pk]), {"body": "Logs."}, format="json"
        ),
        201,
    ),
    "attachment upload": Write(
        CaseStatus.IN_PROGRESS,
        lambda c, case, *_: c.post(
            reverse("case-attachments", args=[case.pk]),
            {"file": SimpleUploadedFile("app.log", b"ERROR E1234")},
            format="multipart",
        ),
        201,
    ),
    "escalation request": Write(
        CaseStatus.IN_PROGRESS,
        lambda c, case, *_: c.post(
            reverse("case-escalations", args=[case.pk]), {"message": "Please escalate."}, format="json"
        ),
        201,
    ),
    "respond": Write(CaseStatus.PENDING_CUSTOMER, _transition("respond", message="Done."), 200),
    "confirm resolution": Write(CaseStatus.VERIFY_RESOLUTION, _transition("confirm_resolution"), 200),
    "reject resolution": Write(
        CaseStatus.VERIFY_RESOLUTION, _transition("reject_resolution", message="Still failing."), 200
    ),
    "reopen": Write(CaseStatus.CLOSED, _transition("reopen"), 200),
    "follow": Write(
        CaseStatus.IN_PROGRESS, lambda c, case, *_: c.post(reverse("case-follow", args=[case.pk])), 201
    ),
    "authorisation request from the case": Write(
        CaseStatus.IN_PROGRESS,
        lambda c, case, company, colleague: c.post(
            reverse("authorization-request-list"),
            {"kind": "password_reset", "subject_user": colleague.pk, "case": case.pk},
            format="json",
        ),
        201,
    ),
    "open a case": Write(CaseStatus.IN_PROGRESS, _open_case, 201),
}


def case_in(status: str, *, company: Company, opened_by: User, assignee: User) -> Case:
    """A case of ``company`` in ``status`` as support left it (a closed one closed yesterday)."""
    now = timezone.now()
    fields: dict[str, Any] = {}
    if status == CaseStatus.VERIFY_RESOLUTION:
        fields["auto_close_at"] = now + timedelta(days=9)
    if status == CaseStatus.CLOSED:
        fields["closed_at"] = now - timedelta(days=1)
    return CaseFactory(
        company=company,
        product_instance=ProductInstanceFactory(company=company),
        opened_by=opened_by,
        assignee=assignee,
        status=status,
        **fields,
    )


def footprint(case: Case) -> tuple[object, ...]:
    """What any write would change: the case row and every table a write adds to."""
    case.refresh_from_db()
    rows = (
        Case,
        CaseEvent,
        Comment,
        Attachment,
        EscalationRequest,
        CaseFollower,
        AuthorizationRequest,
        Notification,
    )
    return (
        case.status,
        case.updated_at,
        case.auto_close_at,
        case.closed_at,
        case.last_customer_activity_at,
        *(model.objects.count() for model in rows),
    )
