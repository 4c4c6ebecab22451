"""The changelist's search box: the case search, ranked, with the matched text shown."""

import pytest
from django.urls import reverse

from cases.services import comment_create
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:cases_case_changelist")


def _listed(response):
    return [case.pk for case in response.context["cl"].result_list]


def test_an_internal_note_is_found_and_shown_as_the_match(analyst_client, analyst):
    case = CaseFactory(subject="Bank file rejected")
    CaseFactory(subject="Bank file rejected as well")
    comment_create(case=case, author=analyst, body="Their wallaby mapping is wrong.", is_internal=True)

    response = analyst_client.get(CHANGELIST, {"q": "wallaby"})

    assert _listed(response) == [case.pk]
    html = response.content.decode()
    assert "internal note" in html and "<mark>wallaby</mark>" in html.lower()


def test_results_come_best_first_unless_a_column_is_chosen(analyst_client):
    in_comment = CaseFactory(subject="Payment run")
    comment_create(case=in_comment, author=in_comment.opened_by, body="Also the marten export.")
    in_subject = CaseFactory(subject="Marten export fails")
    CaseFactory(subject="Unrelated")

    assert set(_listed(analyst_client.get(CHANGELIST, {"q": "marten"}))) == {in_subject.pk, in_comment.pk}
    by_number = _listed(analyst_client.get(CHANGELIST, {"q": "marten", "o": "1"}))  # number, ascending
    assert by_number == sorted(by_number, key=lambda pk: f"CS-{pk:06d}")


@pytest.mark.postgres
def test_a_subject_match_is_listed_before_a_comment_match(analyst_client):
    in_comment = CaseFactory(subject="Payment run")
    comment_create(case=in_comment, author=in_comment.opened_by, body="Also the marten export.")
    in_subject = CaseFactory(subject="Marten export fails")

    assert _listed(analyst_client.get(CHANGELIST, {"q": "marten"})) == [in_subject.pk, in_comment.pk]


def test_a_search_page_costs_a_fixed_number_of_queries(analyst_client, django_assert_max_num_queries):
    for n in range(60):
        case = CaseFactory(subject=f"Stoat import {n}")
        comment_create(case=case, author=case.opened_by, body="stoat again")

    # the changelist's own, + ranking + the page's snippets (each after its SET LOCAL jit = off)
    with django_assert_max_num_queries(18):
        response = analyst_client.get(CHANGELIST, {"q": "stoat"})

    assert len(_listed(response)) == 50
    assert response.content.decode().count('class="search-matched-in"') == 50


def test_no_match_lists_nothing(analyst_client):
    CaseFactory(subject="Payroll export hangs")
    assert _listed(analyst_client.get(CHANGELIST, {"q": "xylocarpa"})) == []
