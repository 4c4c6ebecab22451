"""Canned responses (macros): which ones fit a case, found by name or text, their text with the
case's placeholders filled in, and putting that text where the analyst's cursor is."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import IntegerField, Q, QuerySet, Value, When

from cases.models import CannedResponse, Case

PLACEHOLDERS = ("customer_name", "case_number", "case_url")
MACRO_QUERY_MAX = 100


def customer_language(case: Case) -> str:
    """The language the customer reads: their own choice, else their company's."""
    customer = case.on_behalf_of or case.opened_by
    return customer.language or case.company.language


def canned_responses_for(*, case: Case, query: str = "") -> QuerySet[CannedResponse]:
    """Active canned responses, those in the customer's language first; with ``query``, only those
    whose title or text contains every word of it (case-insensitive)."""
    macros = CannedResponse.objects.filter(is_active=True).select_related("assignee")
    for word in query.split()[:10]:
        macros = macros.filter(Q(title__icontains=word) | Q(body__icontains=word))
    return macros.order_by(
        SqlCase(
            When(language=customer_language(case), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
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


def text_insert(text: str, snippet: str, at: int | None) -> tuple[str, int]:
    """``snippet`` put into ``text`` at character ``at`` (the end when unknown or out of range), set
    off by a blank line from text around it. Answers the new text and where the cursor goes (after
    the snippet)."""
    position = len(text) if at is None or not 0 <= at <= len(text) else at
    before, after = text[:position], text[position:]
    if before and not before.endswith("\n\n"):
        before = before.rstrip("\n") + "\n\n"
    if after.strip():
        after = "\n\n" + after.lstrip(" \n")
    merged = before + snippet + after
    return merged, len(before) + len(snippet)
