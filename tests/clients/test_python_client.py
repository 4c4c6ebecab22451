"""The generated Python client works against a live server (issue 21): generated from the live
``/api/schema/`` by openapi-python-client, imported, and used as an integrator would: a token, a new
case, the list across two cursor pages, a comment, and a 404 read as a typed error."""

from __future__ import annotations

import importlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from accounts.models import Membership
from tests.clients.generated import client_generate
from tests.factories import (
    ApplicationAreaFactory,
    CaseReasonFactory,
    CompanyFactory,
    ProductInstanceFactory,
    member,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.client]
PASSWORD = "a-long-client-password"


def _api(name: str):
    return importlib.import_module(f"casedesk_client.api.{name}")


def test_the_generated_client_opens_lists_comments_and_reads_errors(server: str, tmp_path: Path):
    company = CompanyFactory(language="en")  # the factory default is French: this reads English words
    instance = ProductInstanceFactory(company=company)
    user = member(company, role=Membership.Role.DSU)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    reason, area = CaseReasonFactory(), ApplicationAreaFactory()

    casedesk = client_generate(schema_url=f"{server}/api/schema/", into=tmp_path)
    models = importlib.import_module("casedesk_client.models")
    token_create = _api("accounts.auth_token_create")
    cases_create = _api("cases.cases_create")
    cases_list = _api("cases.cases_list")
    cases_retrieve = _api("cases.cases_retrieve")
    comments_create = _api("comments.cases_comments_create")

    anonymous = casedesk.Client(base_url=server, raise_on_unexpected_status=True)
    token = token_create.sync(
        client=anonymous, body=models.TokenObtainInputRequest(username=user.username, password=PASSWORD)
    )
    assert isinstance(token, models.TokenObtainOutput), token
    client = casedesk.AuthenticatedClient(
        base_url=server, token=token.token, prefix="Token", raise_on_unexpected_status=True
    )

    opened = []
    for subject in ("Payment run stopped", "Bank file rejected"):
        response = cases_create.sync_detailed(
            client=client,
            body=models.CaseCreateInputRequest(
                product_instance=instance.pk,
                subject=subject,
                problem_summary="The bank rejects the file since 09:00.",
                reason=reason.code,
                application_area=area.code,
                business_impact_scope=models.BusinessImpactScopeEnum.ORGANISATION,
                business_impact=models.BusinessImpactEnum.HIGH,
            ),
            idempotency_key=f"smoke-{subject}",
        )
        assert response.status_code == 201, response.content
        assert isinstance(response.parsed, models.CaseDetailOutput)
        assert response.headers["Location"].endswith(f"/api/v1/cases/{response.parsed.id}/")
        assert int(response.headers["RateLimit-Remaining"]) >= 0
        opened.append(response.parsed)

    first = cases_list.sync(client=client, page_size=1)
    assert isinstance(first, models.PaginatedCaseListOutputList)
    cursor = parse_qs(urlparse(first.next_).query)["cursor"][0]
    second = cases_list.sync(client=client, page_size=1, cursor=cursor)
    assert [page.results[0].id for page in (first, second)] == [opened[1].id, opened[0].id]
    assert not second.next_

    comment = comments_create.sync(
        client=client,
        case_id=opened[0].id,
        body=models.CommentCreateInputRequest(body="The bank's answer is attached."),
    )
    assert isinstance(comment, models.CommentOutput)
    assert comment.body == "The bank's answer is attached."

    missing = cases_retrieve.sync_detailed(client=client, case_id=opened[0].id + 1000)
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error)
    assert (missing.parsed.code, missing.parsed.detail) == ("not_found", "Case not found.")
