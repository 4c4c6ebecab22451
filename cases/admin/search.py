"""The case changelist's search box: the same search as the API (``cases/search/selectors.py``),
ranked, with the matched text shown in a column of its own while searching.

The box searches the cases' numbers, subjects, descriptions, comments, e-mail replies and internal
notes (staff), company and people's names; the queue and the other filters still apply. Results come
best first unless a column header is clicked; the "matched" column shows each row's best matching
text, computed for the page shown only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import BigIntegerField, F, Func, IntegerField, QuerySet, Value, When
from django.db.models import Case as SqlCase
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.models import User
from cases.models import Case
from cases.search.selectors import QUERY_MAX_LENGTH, case_search_ranked_ids, case_search_snippets

SEARCH_COLUMN = "search_match"
MATCHED_IN_LABELS = {
    "case": "case",
    "comment": "comment",
    "email": "e-mail",
    "internal_note": "internal note",
}


def _position(ids: list[int]) -> Func | SqlCase:
    """Each case's place in ``ids`` (the ranking), as an expression to order by."""
    if connection.vendor == "postgresql":
        ranking = Value(ids, output_field=ArrayField(BigIntegerField()))
        return Func(ranking, F("pk"), function="array_position", output_field=IntegerField())
    return SqlCase(*(When(pk=pk, then=Value(n)) for n, pk in enumerate(ids)), output_field=IntegerField())


class CaseSearchAdmin(admin.ModelAdmin):
    """Case search for the changelist (``CaseAdmin`` in ``workspace.py`` builds on it)."""

    def _searcher(self, request: HttpRequest) -> User:
        user = request.user
        if not isinstance(user, User) or not (user.is_active and user.is_staff):
            raise PermissionDenied
        return user

    @staticmethod
    def _query(request: HttpRequest) -> str:
        return request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        query = search_term.strip()[:QUERY_MAX_LENGTH]
        if not query:
            return queryset, False
        ranked = case_search_ranked_ids(user=self._searcher(request), query=query)
        if not ranked:
            return queryset.none(), False
        found = queryset.filter(pk__in=ranked)
        if not request.GET.get(ORDER_VAR):  # a clicked column orders as usual
            found = found.order_by(_position(ranked), "-pk")
        return found, False

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))
        return [*columns, SEARCH_COLUMN] if self._query(request) else columns

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        query = self._query(request)
        if query:
            page = list(changelist.result_list)  # evaluated once: the template lists these instances
            snippets = case_search_snippets(
                user=self._searcher(request), query=query, case_ids=[case.pk for case in page]
            )
            for case in page:
                case.search_match = snippets.get(case.pk)
        return changelist

    @admin.display(description="matched")
    def search_match(self, case: Case) -> SafeString | str:
        found = getattr(case, "search_match", None)
        if found is None:
            return "—"
        snippet, matched_in = found
        # The snippet is escape_snippet's HTML: the text escaped, only <mark> added.
        return format_html(
            '<span class="search-matched-in">{}</span> {}', MATCHED_IN_LABELS[matched_in], mark_safe(snippet)
        )
