"""Case search: what it finds, for whom, and what a customer can never learn from it.

Tests without a marker run on SQLite (the substring fallback) and on PostgreSQL (full-text search);
stemming, accents, ranking, trigrams and the triggers are PostgreSQL's (``postgres``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Company, Membership, User
from accounts.selectors import PartnerScope
from cases.models import Case, CaseSearchEntry, Comment
from cases.search import selectors as search
from cases.selectors import case_list_for_user
from cases.services import comment_create
from tests.factories import (
    AnalystFactory,
    CaseFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db

SEARCH = reverse("case-search")
# Words nothing else in a test's data contains (factories draw people's names from Faker).
NOWHERE = "xylocarpa"


def _search(api_client: Any, user: Any, q: str, **params: Any) -> dict[str, Any]:
    api_client.force_authenticate(user)
    response = api_client.get(SEARCH, {"q": q, **params})
    assert response.status_code == 200, response.json()
    return response.json()


def _listed(api_client: Any, user: Any, q: str) -> list[int]:
    api_client.force_authenticate(user)
    response = api_client.get(reverse("case-list"), {"search": q})
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def _ids(body: dict[str, Any]) -> list[int]:
    return [row["id"] for row in body["results"]]


@pytest.fixture
def company() -> Company:
    return CompanyFactory(language="en", country="GB")


@pytest.fixture
def customer(company: Company) -> Any:
    return member(company, role=Membership.Role.DSU)


@pytest.fixture
def analyst() -> Any:
    return AnalystFactory()


def _case(company: Company, opener: Any, **fields: Any) -> Case:
    return CaseFactory(
        company=company, opened_by=opener, product_instance=ProductInstanceFactory(company=company), **fields
    )


# --- what is searched ---------------------------------------------------------------------------


def test_a_word_only_in_a_public_comment_finds_the_case_for_the_customer(api_client, company, customer):
    case = _case(company, customer, subject="Payment run stopped")
    _case(company, customer, subject="Payment run stopped too")
    comment_create(case=case, author=customer, body="The wombat report shows nothing since Monday.")

    body = _search(api_client, customer, "wombat")

    assert (_ids(body), body["count"], body["count_exact"]) == ([case.pk], 1, True)
    assert body["results"][0]["matched_in"] == "comment"
    assert "<mark>wombat</mark>" in body["results"][0]["snippet"].lower()
    assert _listed(api_client, customer, "wombat") == [case.pk]


def test_a_word_in_an_email_reply_finds_the_case(api_client, company, customer):
    case = _case(company, customer)
    comment_create(
        case=case, author=customer, body="Sent from the quokka terminal.", source=Comment.Source.EMAIL
    )

    body = _search(api_client, customer, "quokka")

    assert _ids(body) == [case.pk]
    assert body["results"][0]["matched_in"] == "email"


@pytest.mark.parametrize(
    "field", ["subject", "problem_summary", "error_message", "replication_steps", "troubleshooting_tried"]
)
def test_the_case_number_subject_and_description_fields_are_searched(api_client, company, customer, field):
    case = _case(company, customer, **{field: "Mentions the pangolin ledger."})
    _case(company, customer)

    assert _ids(_search(api_client, customer, "pangolin")) == [case.pk]
    assert _ids(_search(api_client, customer, case.number)) == [case.pk]


def test_an_exact_case_number_comes_first(api_client, company, customer):
    named = _case(company, customer, subject="Export stopped")
    mentioning = _case(company, customer, subject=f"Same as {named.number}: export stopped")

    body = _search(api_client, customer, named.number)

    assert _ids(body)[0] == named.pk
    assert body["results"][0]["rank"] >= search.NUMBER_RANK
    # "42" and "cs-000042" name the same case
    assert _ids(_search(api_client, customer, str(named.pk)))[0] == named.pk
    assert _ids(_search(api_client, customer, named.number.lower()))[0] == named.pk
    assert mentioning.pk in _listed(api_client, customer, named.number)


def test_snippets_are_escaped_html_with_only_the_marks_as_tags(api_client, company, customer):
    case = _case(company, customer)
    comment_create(case=case, author=customer, body='<script>alert("narwhal")</script> <b>narwhal</b> & more')

    snippet = _search(api_client, customer, "narwhal")["results"][0]["snippet"]

    # PostgreSQL's headline leaves tags out, the fallback escapes them: never markup of the text's own.
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&amp;" in snippet
    assert snippet.replace("<mark>", "").replace("</mark>", "").count("<") == 0
    assert "<mark>narwhal</mark>" in snippet


# --- who finds what -----------------------------------------------------------------------------


def test_another_companys_cases_are_never_found(api_client, company, customer, analyst):
    other = CompanyFactory(language="en")
    theirs = _case(other, member(other, role=Membership.Role.DSU), subject="The capybara export")
    ours = _case(company, customer, subject="Our capybara export")

    assert _ids(_search(api_client, customer, "capybara")) == [ours.pk]
    assert _ids(_search(api_client, customer, theirs.number)) == []
    assert sorted(_ids(_search(api_client, analyst, "capybara"))) == sorted([ours.pk, theirs.pk])


def test_members_who_see_only_their_own_cases_find_only_those(api_client):
    company = CompanyFactory(language="en", case_visibility=Company.CaseVisibility.OWN)
    me, colleague = member(company), member(company)
    mine = _case(company, me, subject="Axolotl import fails")
    _case(company, colleague, subject="Axolotl import fails again")

    assert _ids(_search(api_client, me, "axolotl")) == [mine.pk]
    assert _search(api_client, me, "axolotl")["count"] == 1


def test_search_finds_exactly_the_cases_the_list_shows_for_every_kind_of_reader():
    """``_visibility`` (the rule as SQL on search entries) and ``case_list_for_user`` agree."""
    serving = PartnerEstablishmentFactory()
    sibling = PartnerEstablishmentFactory(partner=serving.partner)
    own_company = CompanyFactory(language="en", case_visibility=Company.CaseVisibility.OWN)
    companies = [CompanyFactory(language=lang) for lang in ("en", "fr", "es")] + [own_company]
    serving.clients.add(companies[0], companies[1])
    sibling.clients.add(companies[2])
    readers = {
        "member": member(companies[0]),
        "own-cases member": member(own_company),
        "own-cases DSU": member(own_company, role=Membership.Role.DSU),
        "pending member": member(companies[1], status=Membership.Status.PENDING),
        "partner": partner_user(serving),
        "staff": AnalystFactory(),
    }
    for company in companies:
        for opener in (member(company, role=Membership.Role.DSU), readers["own-cases member"]):
            if company == own_company or opener != readers["own-cases member"]:
                _case(company, opener, subject="Marmoset backlog")
    for name, reader in readers.items():
        for scope in (PartnerScope.ESTABLISHMENT, PartnerScope.PARTNER):
            found = search.case_search_for_user(
                user=reader, query="marmoset", scope=scope, offset=0, limit=50
            )
            visible = set(case_list_for_user(user=reader, scope=scope).values_list("pk", flat=True))
            assert {hit.case_id for hit in found.hits} == visible, (name, scope)
            assert found.count == len(visible), (name, scope)


# --- the API's edges ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a", "page_size": 51}, "page_size"),
        ({"q": "a", "page": 0}, "page"),
        ({"q": "a", "page": "two"}, "page"),
    ],
)
def test_bad_parameters_are_refused(api_client, customer, params, field):
    api_client.force_authenticate(customer)
    response = api_client.get(SEARCH, params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


def test_a_nul_character_never_reaches_the_database(api_client, customer):
    api_client.force_authenticate(customer)
    response = api_client.get(SEARCH, {"q": "a\x00b"})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_characters")


def test_pages_past_the_search_window_are_refused(api_client, customer):
    api_client.force_authenticate(customer)
    response = api_client.get(SEARCH, {"q": "ledger", "page": 41, "page_size": 25})
    assert (response.status_code, response.json()["code"]) == (400, "invalid_pagination")


def test_pages_follow_the_ranking(api_client, company, customer):
    cases = [_case(company, customer, subject=f"Gecko export {n}") for n in range(5)]

    first = _search(api_client, customer, "gecko", page_size=2)
    assert first["count"] == 5 and first["previous"] is None and len(first["results"]) == 2
    seen = _ids(first)
    api_client.force_authenticate(customer)
    url = first["next"]
    while url:
        page = api_client.get(url).json()
        seen += _ids(page)
        url = page["next"]
    assert sorted(seen) == sorted(case.pk for case in cases) and len(seen) == 5


def test_a_query_of_stop_words_or_symbols_answers_nothing_not_an_error(api_client, company, customer):
    _case(company, customer, subject="The export")
    for q in ['""', "-", "or", "&|!():*", "'"]:
        assert _search(api_client, customer, q)["results"] is not None


def test_search_reads_a_page_in_a_fixed_number_of_queries(
    api_client, company, customer, analyst, django_assert_max_num_queries
):
    for n in range(30):
        case = _case(company, customer, subject=f"Iguana report {n}")
        comment_create(case=case, author=customer, body="iguana again")
    for user in (customer, analyst):
        api_client.force_authenticate(user)
        # the search (+ its SET LOCAL jit = off on PostgreSQL, + a count on SQLite), the page's cases (+ comments)
        with django_assert_max_num_queries(4 + (connection.vendor == "postgresql")):
            response = api_client.get(SEARCH, {"q": "iguana", "page_size": 25})
        assert len(response.json()["results"]) == 25


def test_the_count_is_a_lower_bound_past_the_search_window(api_client, company, customer, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the window bounds PostgreSQL's ranking; the fallback counts everything")
    monkeypatch.setattr(search, "SEARCH_WINDOW", 3)
    for n in range(5):
        _case(company, customer, subject=f"Heron import {n}")

    body = _search(api_client, customer, "heron")

    assert body["count_exact"] is False and body["count"] == 3


# --- PostgreSQL: languages, ranking, trigrams, triggers -----------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("language", "text", "query"),
    [
        ("fr", "Les imprimantes ne répondent plus", "imprimante"),
        ("fr", "L'imprimante ne répond plus", "imprimantes"),
        ("fr", "Les relances sont bloquées", "bloquee"),  # accents ignored
        ("es", "Las impresoras no imprimen", "impresora"),
        ("es", "Error de facturación", "facturacion"),
        ("en", "Printers stopped printing", "printer"),
        ("en", "Reconciling the account rounds amounts", "reconciled"),
    ],
)
def test_words_are_stemmed_in_the_companys_language(api_client, language, text, query):
    company = CompanyFactory(language=language)
    customer = member(company, role=Membership.Role.DSU)
    case = _case(company, customer, subject="Sujet", problem_summary=text)
    _case(company, customer, subject="Autre", problem_summary="Rien à voir")

    assert _ids(_search(api_client, customer, query)) == [case.pk]
    assert _listed(api_client, customer, query) == [case.pk]
    assert _ids(_search(api_client, AnalystFactory(), query)) == [case.pk]  # staff read every language


@pytest.mark.postgres
def test_staff_match_each_text_only_in_its_own_language(api_client):
    # "généraux" read in French is the stem of "generalization" read in English ('general'): a text
    # matches only the query read in the text's own language, so the English case is not found.
    french, english = CompanyFactory(language="fr"), CompanyFactory(language="en")
    in_french = _case(french, member(french, role=Membership.Role.DSU), problem_summary="Paramètres généraux")
    _case(english, member(english, role=Membership.Role.DSU), problem_summary="The generalization failed")
    analyst = AnalystFactory()

    body = _search(api_client, analyst, "généraux")

    assert (_ids(body), body["count"]) == ([in_french.pk], 1)
    assert _listed(api_client, analyst, "généraux") == [in_french.pk]


@pytest.mark.postgres
def test_a_match_in_the_subject_ranks_above_one_in_a_comment(api_client, company, customer):
    in_comment = _case(company, customer, subject="Payment run")
    comment_create(case=in_comment, author=customer, body="Also the meerkat export.")
    in_subject = _case(company, customer, subject="Meerkat export fails")

    results = _search(api_client, customer, "meerkat")["results"]

    assert [row["id"] for row in results] == [in_subject.pk, in_comment.pk]
    assert results[0]["rank"] > results[1]["rank"] > 0


@pytest.mark.postgres
def test_partial_words_and_misspelt_names_match_by_trigrams(api_client, company):
    customer = member(company, role=Membership.Role.DSU, first_name="Ottilie", last_name="Vandersteen")
    case = _case(company, customer, subject="Reconciliation rounds amounts")
    _case(company, member(company, role=Membership.Role.DSU), subject="Unrelated")

    assert _ids(_search(api_client, customer, "reconcil")) == [case.pk]
    assert _ids(_search(api_client, customer, "Vandersten")) == [case.pk]
    found = _search(api_client, customer, "Vandersteen")  # the exact name: a whole word of the case
    assert _ids(found) == [case.pk]
    assert _listed(api_client, customer, "reconcil") == [case.pk]


@pytest.mark.postgres
def test_trigrams_are_read_in_a_second_statement_only_when_no_whole_word_matched(company, customer):
    case = _case(company, customer, subject="Reconciliation rounds amounts")

    def statements(query: str) -> tuple[list[int], list[str]]:
        with CaptureQueriesContext(connection) as run:
            page = search.case_search_for_user(user=customer, query=query, offset=0, limit=25)
        return [hit.case_id for hit in page.hits], [
            "trigrams" if "<% e.label" in q["sql"] else "words"
            for q in run.captured_queries
            if "text_hits" in q["sql"]
        ]

    assert statements("reconciliation") == ([case.pk], ["words"])
    assert statements("reconcil") == ([case.pk], ["words", "trigrams"])  # no whole word: trigrams
    assert statements("zz") == ([], ["words"])  # too short for trigrams
    assert statements(case.number) == ([case.pk], ["words"])  # a number is never read by trigrams
    assert statements("CS-999999") == ([], ["words"])


@pytest.mark.postgres
def test_the_search_entries_follow_every_write(api_client, company, customer, analyst):
    case = _case(company, customer, subject="Old subject")
    comment = Comment.objects.create(
        case=case, author=customer, body="About the dingo.", created_at=case.created_at
    )
    assert CaseSearchEntry.objects.filter(case=case).count() == 2

    Case.objects.filter(pk=case.pk).update(subject="Albatross subject")
    assert _ids(_search(api_client, customer, "albatross")) == [case.pk]
    assert _ids(_search(api_client, customer, "old")) == []

    Comment.objects.filter(pk=comment.pk).update(is_internal=True)
    assert _ids(_search(api_client, customer, "dingo")) == []
    assert _ids(_search(api_client, analyst, "dingo")) == [case.pk]

    customer.last_name = "Zimmerbaum"
    customer.save(update_fields=["last_name"])
    assert _ids(_search(api_client, customer, "zimmerbaum")) == [case.pk]

    company.name = "Kiwifruit Holdings"
    company.save(update_fields=["name"])
    assert _ids(_search(api_client, customer, "kiwifruit")) == [case.pk]

    comment_id = comment.pk
    comment.delete()
    assert not CaseSearchEntry.objects.filter(comment_id=comment_id).exists()
    assert CaseSearchEntry.objects.filter(case=case).count() == 1


@pytest.mark.postgres
def test_a_company_that_changes_language_is_searched_in_the_new_one(api_client):
    company = CompanyFactory(language="en")
    customer = member(company, role=Membership.Role.DSU)
    case = _case(company, customer, subject="Sujet", problem_summary="Las impresoras no imprimen")
    comment_create(case=case, author=customer, body="Las facturas tampoco.")

    company.language = "es"
    company.save(update_fields=["language"])
    customer = User.objects.get(pk=customer.pk)  # as the next request loads them

    assert set(CaseSearchEntry.objects.filter(case=case).values_list("language", flat=True)) == {"es"}
    assert _ids(_search(api_client, customer, "impresora")) == [case.pk]
    assert _ids(_search(api_client, customer, "factura")) == [case.pk]


@pytest.mark.postgres
def test_a_search_is_planned_for_its_own_words_never_prepared(company, customer):
    """A prepared statement's generic plan would read every word alike: common words must walk the
    newest texts, rare ones the GIN index."""
    _case(company, customer, subject="Ledger export")
    for _ in range(8):  # past psycopg's prepare threshold
        search.case_search_for_user(user=customer, query="ledger", offset=0, limit=25)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert not any("text_hits" in statement for statement in prepared)
    assert connection.connection.prepare_threshold is not None  # left as it was for everything else
