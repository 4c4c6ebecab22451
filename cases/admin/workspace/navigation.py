"""Where a case sits in the queue the analyst came from: previous and next case, for "… and next".

The queue travels in the URL as Django's own ``_changelist_filters`` (the case list's query string:
queue, filters, search, ordering and page), so a case page knows it without any server state. Its
neighbours come from the same queryset the case list shows, read as a window of ids around the
page the analyst was on (``list_per_page`` + 2 rows, one query), not the whole queue.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.admin import SimpleListFilter
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import PAGE_VAR, ChangeList
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, QueryDict
from django.urls import reverse

if TYPE_CHECKING:
    from django.contrib import admin

FILTERS_PARAMETER = "_changelist_filters"
# A case list URL longer than this is not a queue anyone clicked through from.
FILTERS_MAX_LENGTH = 2000


class _QueueQueryset(ChangeList):
    """The case list's queryset (filters, search, ordering) without counting or fetching a page."""

    def get_results(self, request: HttpRequest) -> None:
        pass


def _filters_in_use(list_filter: Any, params: QueryDict) -> list[Any]:
    """The list filters a query string uses: the others would only run their own choice queries."""
    keys = set(params)
    used = []
    for spec in list_filter:
        if isinstance(spec, type) and issubclass(spec, SimpleListFilter):
            names = {spec.parameter_name}
            if keys & names:
                used.append(spec)
            continue
        path = spec[0] if isinstance(spec, tuple | list) else spec
        if any(key == path or key.startswith(f"{path}__") for key in keys):
            used.append(spec)
    return used


@dataclass(frozen=True)
class QueuePlace:
    """A case's place in a queue: the queue's query string, its neighbours and their URLs."""

    filters: str  # the case list's query string ("" when the page was not opened from a queue)
    previous_id: int | None = None
    next_id: int | None = None
    position: int | None = None  # 1-based, when the case is (still) in the window read
    next_filters: str = ""  # the query string to carry to the next case (its page number)
    previous_filters: str = ""

    @property
    def from_queue(self) -> bool:
        return bool(self.filters)

    def case_url(self, case_id: int, filters: str | None = None) -> str:
        url = reverse("admin:cases_case_change", args=[case_id])
        return url_with_queue(url, self.filters if filters is None else filters)

    @property
    def next_url(self) -> str:
        return self.case_url(self.next_id, self.next_filters) if self.next_id else ""

    @property
    def previous_url(self) -> str:
        return self.case_url(self.previous_id, self.previous_filters) if self.previous_id else ""

    @property
    def list_url(self) -> str:
        url = reverse("admin:cases_case_changelist")
        return f"{url}?{self.filters}" if self.filters else url


def url_with_queue(url: str, filters: str) -> str:
    """``url`` carrying the queue (``_changelist_filters``) it was reached from."""
    return f"{url}?{urlencode({FILTERS_PARAMETER: filters})}" if filters else url


def queue_filters(request: HttpRequest) -> str:
    """The queue a case page or action came from: ``_changelist_filters`` of the query string or the
    posted form, if it is a plausible case list query string."""
    raw = request.POST.get(FILTERS_PARAMETER) or request.GET.get(FILTERS_PARAMETER) or ""
    if len(raw) > FILTERS_MAX_LENGTH or "\x00" in raw:
        return ""
    return raw


def _with_page(filters: QueryDict, page: int) -> str:
    changed = filters.copy()
    if page > 1:
        changed[PAGE_VAR] = str(page)
    else:
        changed.pop(PAGE_VAR, None)
    return changed.urlencode()


def queue_place(
    model_admin: admin.ModelAdmin, request: HttpRequest, case_id: int, filters: str
) -> QueuePlace:
    """The case's neighbours in the queue ``filters`` names, as the case list orders it for this
    user. A case no longer in the queue (taken, moved on) has the page's first case as next."""
    if not filters:
        return QueuePlace(filters="")
    params = QueryDict(filters, mutable=True)
    try:
        page = max(int(params.get(PAGE_VAR, "1")), 1)
    except ValueError:
        page = 1
    per_page = model_admin.list_per_page
    listing = copy.copy(request)
    listing.GET = QueryDict(_with_page(params, 1))  # the queryset; the page is read as a window below
    listing.method = "GET"
    list_display = list(model_admin.get_list_display(listing))
    if model_admin.get_actions(listing):  # as get_changelist_instance: the ordering indexes count it
        list_display = ["action_checkbox", *list_display]
    try:
        queue = _QueueQueryset(
            listing,
            model_admin.model,
            list_display,
            (),
            _filters_in_use(model_admin.get_list_filter(listing), listing.GET),
            model_admin.date_hierarchy,
            model_admin.get_search_fields(listing),
            model_admin.get_list_select_related(listing),
            per_page,
            model_admin.list_max_show_all,
            (),
            model_admin,
            model_admin.get_sortable_by(listing),  # type: ignore[arg-type]
            model_admin.search_help_text,  # type: ignore[arg-type]
        )
        start = max((page - 1) * per_page - 1, 0)
        window = list(queue.queryset.values_list("pk", flat=True)[start : page * per_page + 1])
    except (IncorrectLookupParameters, SuspiciousOperation, ValueError):
        return QueuePlace(filters=filters)  # a tampered or stale query string: no neighbours
    if case_id in window:
        index = window.index(case_id)
        previous_id = window[index - 1] if index > 0 else None
        next_id = window[index + 1] if index + 1 < len(window) else None
        position = start + index + 1
    else:
        first_on_page = 1 if start > 0 else 0
        candidates = [pk for pk in window[first_on_page:] if pk != case_id]
        previous_id, next_id, position = None, (candidates[0] if candidates else None), None
        index = first_on_page - 1
    next_page = (start + index + 1) // per_page + 1
    previous_page = max((start + index - 1) // per_page + 1, 1)
    return QueuePlace(
        filters=filters,
        previous_id=previous_id,
        next_id=next_id,
        position=position,
        next_filters=_with_page(params, next_page),
        previous_filters=_with_page(params, previous_page),
    )
