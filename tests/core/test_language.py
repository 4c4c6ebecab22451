"""The language of API answers: the user's setting, else their company's, else ``Accept-Language``,
else English; the machine-readable ``code`` never changes with it."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership
from accounts.services import api_token_create
from cases.models import CaseStatus
from core.errors import CATALOGUE
from tests.factories import AnalystFactory, CaseFactory, CompanyFactory, USCompanyFactory, member

pytestmark = pytest.mark.django_db


def _token(user):
    return {"HTTP_AUTHORIZATION": f"Token {api_token_create(user=user)[1]}"}


def _unknown_member(api_client, user, **headers):
    """A DRF not_found: a member id that is not in the user's company (Http404 from the view)."""
    company = user.membership.company
    url = reverse("company-member-detail", kwargs={"company_id": company.pk, "user_id": 999_999_999})
    return api_client.patch(url, {"role": "member"}, format="json", **_token(user), **headers)


def test_a_user_of_a_french_company_reads_drf_errors_in_french(api_client):
    manager = member(CompanyFactory(language="fr"), role=Membership.Role.MANAGER)

    response = _unknown_member(api_client, manager)

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Non trouvé."}
    assert response["Content-Language"] == "fr"


def test_anonymous_callers_read_their_accept_language(api_client):
    response = api_client.get(reverse("me"), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")

    assert response.status_code == 401
    assert response.json() == {
        "code": "not_authenticated",
        "detail": "Las credenciales de autenticación no se proveyeron.",
    }
    assert response["Content-Language"] == "es"
    assert "Accept-Language" in response["Vary"]


def test_the_users_own_setting_beats_the_company_and_the_header(api_client):
    manager = member(CompanyFactory(language="fr"), role=Membership.Role.MANAGER, language="es")

    response = _unknown_member(api_client, manager, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json() == {"code": "not_found", "detail": "No encontrado."}
    assert response["Content-Language"] == "es"


def test_without_a_setting_the_header_decides(api_client):
    staff = AnalystFactory(language="")  # staff have no company: their own setting, else the header

    response = api_client.put(reverse("me"), {}, format="json", **_token(staff), HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 405
    assert response.json() == {
        "code": "method_not_allowed",
        "detail": "Méthode «\u00a0PUT\u00a0» non autorisée.",
    }


@pytest.mark.parametrize(
    ("user_language", "accept_language"),
    [("de", ""), ("", "de-DE,de;q=0.9"), ("xx", "zz")],
    ids=["unknown-user-setting", "unknown-header", "both-unknown"],
)
def test_a_language_we_do_not_speak_falls_back_to_english(api_client, user_language, accept_language):
    manager = member(USCompanyFactory(language="en"), role=Membership.Role.MANAGER, language=user_language)
    manager.membership.company.language = "de"  # not one of ours, even if the row said so
    manager.membership.company.save(update_fields=["language"])

    response = _unknown_member(api_client, manager, HTTP_ACCEPT_LANGUAGE=accept_language)

    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert response["Content-Language"] == "en"


def test_the_code_is_the_same_in_every_language(api_client):
    bodies = {
        language: _unknown_member(
            api_client, member(CompanyFactory(language=language), role=Membership.Role.MANAGER)
        ).json()
        for language in ("en", "fr", "es")
    }

    assert {body["code"] for body in bodies.values()} == {"not_found"}
    assert len({body["detail"] for body in bodies.values()}) == 3


def test_a_request_leaves_no_language_behind(api_client):
    manager = member(CompanyFactory(language="fr"), role=Membership.Role.MANAGER)

    with translation.override("en"):
        _unknown_member(api_client, manager)
        assert translation.get_language() == "en"


# --- our own refusals, from the services: gettext catalogues in locale/ -------------------------


def _closed_case_comment(api_client, language, **headers):
    company = CompanyFactory(language=language)
    case = CaseFactory(company=company, status=CaseStatus.CLOSED)
    response = api_client.post(
        reverse("case-comments", kwargs={"case_id": case.pk}),
        {"body": "Still broken."},
        format="json",
        **_token(case.opened_by),
        **headers,
    )
    return case, response


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "{number} is closed: reopen it (within 3 days of closing) or open a follow-up case."),
        (
            "fr",
            "{number} est clos : rouvrez-le (dans les 3 jours suivant sa clôture) ou ouvrez un cas de suivi.",
        ),
        (
            "es",
            "{number} está cerrado: reábralo (en los 3 días siguientes al cierre) o abra un caso de seguimiento.",
        ),
    ],
)
def test_a_service_refusal_reads_in_the_users_language(api_client, language, expected):
    case, response = _closed_case_comment(api_client, language, HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 409
    assert response.json() == {"code": "case_closed", "detail": expected.format(number=case.number)}
    assert response["Content-Language"] == language


def test_an_invalid_transition_names_the_status_in_the_users_language(api_client):
    case = CaseFactory(company=CompanyFactory(language="fr"), status=CaseStatus.OPEN)

    response = api_client.post(
        reverse("case-transition", kwargs={"case_id": case.pk}),
        {"transition": "confirm_resolution"},
        format="json",
        **_token(case.opened_by),
    )

    assert response.status_code == 409
    assert response.json() == {
        "code": "invalid_transition",
        "detail": f"'confirm_resolution' est impossible tant que {case.number} est 'Ouvert'.",
    }


def test_an_anonymous_refusal_of_our_own_follows_accept_language(api_client):
    response = api_client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="es")

    assert response.json() == {"code": "not_found", "detail": "Ese punto de acceso no existe."}


def test_the_catalogue_examples_are_translated_when_read_not_at_import():
    definition = CATALOGUE.get("case_closed")

    with translation.override("fr"):
        french = definition.example()
    with translation.override("en"):
        english = definition.example()

    assert (
        english["detail"]
        == "CS-000042 is closed: reopen it (within 3 days of closing) or open a follow-up case."
    )
    assert french["detail"].startswith("CS-000042 est clos")
    assert french["code"] == english["code"] == "case_closed"
