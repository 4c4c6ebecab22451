"""``GET /api/v1/cases/search/?q=``: ranked case search with snippets (``cases/search/selectors.py``).

Page-number pages over the ranked results (a cursor over ranks would have to carry the rank and the
window of matches it came from); at most ``SEARCH_WINDOW`` results can be paged through.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.views import partner_scope_from
from accounts.models import User
from cases.api.serializers import CaseListOutputSerializer
from cases.search.selectors import QUERY_MAX_LENGTH, SEARCH_WINDOW, case_search_for_user
from cases.selectors import case_list_page_for_user
from core.api.serializers import QueryInputSerializer
from core.errors import ValidationFailed
from core.schema import raises

MAX_PAGE_SIZE = 50


class CaseSearchQueryInputSerializer(QueryInputSerializer):
    q = serializers.CharField(
        max_length=QUERY_MAX_LENGTH,
        help_text='Words (stemmed in the company\'s language, accents ignored), "a phrase", or -excluded, '
        "OR between alternatives; a case number (CS-000042, 42); partial words and names also match "
        "the number, subject, company and people's names.",
    )
    page = serializers.IntegerField(default=1, min_value=1, max_value=SEARCH_WINDOW)
    page_size = serializers.IntegerField(default=25, min_value=1, max_value=MAX_PAGE_SIZE)


class CaseSearchResultOutputSerializer(CaseListOutputSerializer):
    rank = serializers.FloatField(help_text="Relevance: higher first; 100 or more for the exact case number.")
    snippet = serializers.CharField(
        help_text="HTML: the best matching text, escaped, with the matched words in <mark>…</mark>."
    )
    matched_in = serializers.ChoiceField(
        choices=["case", "comment", "email", "internal_note"],
        help_text="Where that text is: the case itself (number, subject, description), a comment, an "
        "e-mail reply, or an internal note (staff only).",
    )

    class Meta(CaseListOutputSerializer.Meta):
        fields = [*CaseListOutputSerializer.Meta.fields, "rank", "snippet", "matched_in"]


class CaseSearchPageOutputSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Matching cases (a lower bound when count_exact is false).")
    count_exact = serializers.BooleanField(
        help_text=f"False when more than {SEARCH_WINDOW:,} texts matched: only the newest were ranked."
    )
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = CaseSearchResultOutputSerializer(many=True)


class CaseSearchApi(APIView):
    @extend_schema(
        operation_id="cases_search",
        summary="Search cases",
        parameters=[
            CaseSearchQueryInputSerializer,
            OpenApiParameter(
                "scope",
                str,
                enum=["establishment", "partner"],
                description="Partner users: how wide to look.",
            ),
        ],
        responses={200: CaseSearchPageOutputSerializer},
        description="Search the cases you may see: number, subject, description, public comments and "
        "e-mail replies, and for support staff internal notes. Best first, with a highlighted snippet, "
        f"in numbered pages over the first {SEARCH_WINDOW:,} results. `invalid` names the field (`q` "
        "missing, blank or too long; `page`, `page_size`); `invalid_pagination` is a page past those "
        "results.",
        extensions=raises("invalid", "invalid_pagination", "invalid_scope"),
    )
    def get(self, request: Request) -> Response:
        user = request.user
        assert isinstance(user, User)
        params = CaseSearchQueryInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        query, page, size = (params.validated_data[name] for name in ("q", "page", "page_size"))
        offset = (page - 1) * size
        if offset >= SEARCH_WINDOW:
            raise ValidationFailed(
                _("Search pages through the first %(window)s results only: refine the words.")
                % {"window": f"{SEARCH_WINDOW:,}"},
                code="invalid_pagination",
            )
        scope = partner_scope_from(request)
        found = case_search_for_user(user=user, query=query, scope=scope, offset=offset, limit=size)
        cases = {
            case.pk: case
            for case in case_list_page_for_user(user=user, scope=scope).filter(
                pk__in=[hit.case_id for hit in found.hits]
            )
        }
        # The same rule found them: only a case deleted meanwhile is missing.
        shown = [hit for hit in found.hits if hit.case_id in cases]
        # One serializer for the page (its fields are bound once, not once per case).
        rows = CaseListOutputSerializer([cases[hit.case_id] for hit in shown], many=True).data
        results = [
            {**row, "rank": hit.rank, "snippet": hit.snippet, "matched_in": hit.matched_in}
            for hit, row in zip(shown, rows, strict=True)
        ]
        more = offset + size < min(found.count, SEARCH_WINDOW)
        return Response(
            {
                "count": found.count,
                "count_exact": found.count_exact,
                "next": self._page_url(request, page + 1) if more else None,
                "previous": self._page_url(request, page - 1) if page > 1 else None,
                "results": results,
            }
        )

    @staticmethod
    def _page_url(request: Request, page: int) -> str:
        query: dict[str, Any] = {key: request.query_params[key] for key in request.query_params}
        query["page"] = page
        return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
