"""Canned responses: which ones fit a case, and their text with the case's placeholders filled in."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, QuerySet, Value, When

from cases.models import CannedResponse, Case

PLACEHOLDERS = ("customer_name", "case_number", "case_url")


def canned_responses_for(*, case: Case) -> QuerySet[CannedResponse]:
    """Active canned responses, those in the company's language first."""
    return CannedResponse.objects.filter(is_active=True).order_by(
        SqlCase(
            When(language=case.company.language, then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        "language",
        "position",
        "title",
    )


def canned_response_render(*, canned: CannedResponse, case: Case) -> str:
    """The body with {customer_name}, {case_number} and {case_url} filled in; other braces stay as
    written (plain replacement, so a stray brace in a macro never breaks it)."""
    customer = case.on_behalf_of or case.opened_by
    values = {
        "customer_name": customer.get_full_name() or customer.username,
        "case_number": case.number or "",
        # The same address the notifications use for the case.
        "case_url": f"{settings.PUBLIC_BASE_URL}/api/v1/cases/{case.pk}/",
    }
    text = canned.body
    for name in PLACEHOLDERS:
        text = text.replace("{" + name + "}", values[name])
    return text
