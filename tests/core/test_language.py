"""The language of API answers: the user's setting, else their company's, else ``Accept-Language``,
else English; the machine-readable ``code`` never changes with it."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership
from accounts.services import api_token_create
from tests.factories import AnalystFactory, CompanyFactory, USCompanyFactory, member

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
