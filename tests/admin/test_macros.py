"""Macros (canned responses): searched by name and text in the customer's language first, inserted
where the caret is with the typed text kept (a partial for htmx, the whole page without JavaScript),
and setting several things at once when sent (reply, transition, priority, assignee)."""

import pytest
from django.urls import reverse

from accounts.models import Membership
from cases.admin.canned import text_insert
from cases.models import CannedResponse, CaseEvent, CaseStatus, Comment
from cases.services import MacroUse, case_reply_send
from core.errors import ApplicationError
from tests.factories import AnalystFactory, CaseFactory, USCompanyFactory, member

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def macro(title, language="en", body="Hello {customer_name}.", **fields):
    return CannedResponse.objects.create(title=title, language=language, body=body, **fields)


@pytest.fixture
def macros():
    return {
        "log_en": macro("Ask for the recorder log", body="Please run the issue recorder."),
        "log_fr": macro("Demander le journal", "fr", body="Merci de lancer l'enregistreur (log)."),
        "thanks_en": macro("Thanks", body="Thank you for the log file."),
        "inactive": macro("Old", body="log", is_active=False),
    }


def search(client, case, query, **headers):
    return client.get(reverse("admin:cases_case_macros", args=[case.pk]), {"macro_q": query}, **headers)


def test_search_finds_macros_by_name_or_text_in_the_customers_language_first(analyst_client, macros):
    case = CaseFactory()  # a French company: French first

    listed = list(search(analyst_client, case, "log", **HTMX).context["macros"])

    assert listed == [macros["log_fr"], macros["log_en"], macros["thanks_en"]]  # "log": title or text
    assert list(search(analyst_client, case, "recorder LOG", **HTMX).context["macros"]) == [macros["log_en"]]
    nothing = search(analyst_client, case, "zzz", **HTMX)
    assert "No macro matches “zzz”." in nothing.content.decode()


def test_an_english_customer_sees_english_macros_first(analyst_client, macros):
    company = USCompanyFactory()
    case = CaseFactory(company=company, opened_by=member(company, role=Membership.Role.DSU))

    listed = list(search(analyst_client, case, "", **HTMX).context["macros"])

    assert [m.language for m in listed] == ["en", "en", "fr"]


def test_search_without_javascript_answers_the_whole_page(analyst_client, macros):
    case = CaseFactory()

    response = search(analyst_client, case, "thanks")

    assert response.templates[0].name == "admin/cases/case/workspace.html"
    assert list(response.context["macros"]) == [macros["thanks_en"]]


@pytest.mark.parametrize(
    ("text", "at", "expected", "cursor"),
    [
        ("", None, "M", 1),
        ("Hello", None, "Hello\n\nM", 8),
        ("Hello\n\nBye", 7, "Hello\n\nM\n\nBye", 8),
        ("Dear X, thanks.", 7, "Dear X,\n\nM\n\nthanks.", 10),
        ("abc", 99, "abc\n\nM", 6),
    ],
)
def test_text_insert_puts_the_macro_at_the_caret(text, at, expected, cursor):
    assert text_insert(text, "M", at) == (expected, cursor)


def test_inserting_keeps_the_typed_text_and_answers_only_the_composer_text_to_htmx(analyst_client, macros):
    case = CaseFactory()
    typed = "Bonjour,\r\nmerci pour votre message."  # browsers post CRLF; the caret counts LF

    response = analyst_client.post(
        reverse("admin:cases_case_macro_insert", args=[case.pk]),
        {"macro": macros["log_fr"].pk, "body": typed, "cursor": "8"},
        **HTMX,
    )

    assert response.templates[0].name == "admin/cases/case/_composer_text.html"
    html = response.content.decode()
    expected = "Bonjour,\n\nMerci de lancer l&#x27;enregistreur (log).\n\nmerci pour votre message."
    assert expected in html
    assert f'name="canned" value="{macros["log_fr"].pk}"' in html
    assert 'data-cursor="47"' in html  # after the macro (code points)


def test_inserting_without_javascript_answers_the_page_with_the_text_kept(analyst_client, macros):
    case = CaseFactory()

    response = analyst_client.post(
        reverse("admin:cases_case_macro_insert", args=[case.pk]),
        {"macro": macros["thanks_en"].pk, "body": "Hi,"},
    )

    assert response.templates[0].name == "admin/cases/case/workspace.html"
    assert response.context["reply_form"]["body"].value() == "Hi,\n\nThank you for the log file."


def test_an_inactive_macro_is_not_inserted(analyst_client, macros):
    case = CaseFactory()

    response = analyst_client.post(
        reverse("admin:cases_case_macro_insert", args=[case.pk]),
        {"macro": macros["inactive"].pk, "body": "Hi"},
        **HTMX,
    )

    assert ">Hi</textarea>" in response.content.decode()


def test_a_macro_sets_reply_transition_priority_and_assignee_in_one_send(analyst_client, analyst):
    case = CaseFactory(status=CaseStatus.IN_PROGRESS, priority="P3", assignee=AnalystFactory())
    everything = macro(
        "Escalate and ask",
        body="Please send the log.",
        transition="request_customer_action",
        priority="P1",
        assign_to_sender=True,
    )
    inserted = analyst_client.post(
        reverse("admin:cases_case_macro_insert", args=[case.pk]), {"macro": everything.pk, "body": ""}
    )
    checked = inserted.context["macro_checked"]
    assert checked == {"transition": True, "priority": True, "assignee": True}

    response = analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {
            "body": "Please send the log.",
            "canned": everything.pk,
            "apply_transition": "on",
            "apply_priority": "on",
            "apply_assignee": "on",
        },
        follow=True,
    )

    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee) == (CaseStatus.PENDING_CUSTOMER, "P1", analyst)
    assert case.comments.get().body == "Please send the log."
    assert case.events.get(type=CaseEvent.Type.PRIORITY_CHANGED).note == "Macro 'Escalate and ask'"
    assert case.events.filter(type=CaseEvent.Type.ASSIGNED).count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        f"{case.number}: reply sent with 'Request customer action'; now 'Pending customer action'; "
        "priority P1; assigned to you."
    ]


def test_what_the_analyst_unticks_is_not_set(analyst_client):
    colleague = AnalystFactory()
    case = CaseFactory(status=CaseStatus.IN_PROGRESS, priority="P3")
    partial = macro("To Bob", transition="propose_resolution", priority="P2", assignee=colleague)

    analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {"body": "Here is the fix.", "canned": partial.pk, "apply_assignee": "on"},
    )

    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee) == (CaseStatus.IN_PROGRESS, "P3", colleague)
    assert case.comments.get().body == "Here is the fix."


def test_a_macro_whose_transition_is_not_possible_goes_out_as_a_plain_reply(analyst_client):
    case = CaseFactory(status=CaseStatus.OPEN)
    resolve = macro("Resolved", transition="propose_resolution")

    analyst_client.post(
        reverse("admin:cases_case_reply", args=[case.pk]),
        {"body": "Fixed.", "canned": resolve.pk, "apply_transition": "on"},
    )

    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    assert case.comments.get().is_internal is False


def test_a_refused_step_undoes_the_steps_before_it(analyst):
    colleague = AnalystFactory()
    case = CaseFactory(status=CaseStatus.OPEN, priority="P3")  # propose_resolution is refused from Open
    resolve = macro("Resolve it", transition="propose_resolution", priority="P1", assignee=colleague)

    with pytest.raises(ApplicationError, match="not possible"):
        case_reply_send(case=case, author=analyst, body="Fixed.", is_internal=False, macro=MacroUse(resolve))

    case.refresh_from_db()
    assert (case.status, case.priority, case.assignee) == (CaseStatus.OPEN, "P3", None)
    assert not CaseEvent.objects.filter(case=case).exists()
    assert not Comment.objects.filter(case=case).exists()


def test_a_macro_cannot_name_both_the_sender_and_an_assignee():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        macro("Both", assign_to_sender=True, assignee=AnalystFactory())
