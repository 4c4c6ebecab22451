from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, User
from cases.models import Case, CaseEvent
from tests.factories import (
    AnalystFactory,
    ApplicationAreaFactory,
    CaseFactory,
    CaseReasonFactory,
    CompanyFactory,
    PartnerEstablishmentFactory,
    ProductInstanceFactory,
    USCompanyFactory,
    member,
    partner_user,
)

pytestmark = pytest.mark.django_db
S = Case.Status
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _create_payload(instance, **extra):
    return {
        "product_instance": instance.pk,
        "subject": "Cannot post journal entries",
        "problem_summary": "Posting fails with GL-42 since this morning.",
        "error_message": "GL-42: period closed",
        "replication_steps": "1. Open GL 2. Post",
        "expected_result": "Expected posted, got GL-42",
        "reason": CaseReasonFactory().code,
        "application_area": ApplicationAreaFactory().code,
        "business_impact_scope": "organisation",
        "business_impact": "high",
        **extra,
    }


def test_walk_a_case_from_creation_to_closed_and_reopened(api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company)
    customer, analyst = member(company, role=Membership.Role.DSU), AnalystFactory()

    def as_(user, method, url, data=None, **kwargs):
        api_client.force_authenticate(user)
        response = getattr(api_client, method)(url, data, **kwargs)
        assert response.status_code < 300, response.json()
        return response.json()

    case = as_(customer, "post", reverse("case-list"), _create_payload(instance), format="json")
    case_id = case["id"]
    transition = reverse("case-transition", args=[case_id])
    assert (case["status"], case["whose_move"], case["available_transitions"]) == (
        "open",
        "customer_support",
        [],
    )

    as_(
        customer,
        "post",
        reverse("case-attachments", args=[case_id]),
        {"file": SimpleUploadedFile("shot.png", PNG)},
        format="multipart",
    )
    taken = as_(analyst, "post", transition, {"transition": "start"}, format="json")
    assert taken["assignee"]["id"] == analyst.pk
    as_(
        analyst,
        "post",
        reverse("case-comments", args=[case_id]),
        {"body": "Internal: GL period lock", "is_internal": True},
    )
    pending = as_(
        analyst,
        "post",
        transition,
        {"transition": "request_customer_action", "message": "Send the log"},
        format="json",
    )
    assert pending["whose_move"] == "customer"
    back = as_(
        customer, "post", reverse("case-comments", args=[case_id]), {"body": "Log attached"}, format="json"
    )
    assert back["author_is_support"] is False
    assert as_(customer, "get", reverse("case-detail", args=[case_id]))["status"] == "in_progress"
    as_(
        analyst,
        "post",
        transition,
        {
            "transition": "await_release",
            "tentative_release_date": str(timezone.localdate() + timedelta(days=20)),
        },
        format="json",
    )
    verify = as_(
        analyst,
        "post",
        transition,
        {"transition": "propose_resolution", "resolution": "Fixed in R4"},
        format="json",
    )
    assert verify["auto_close_at"] is not None
    customer_view = as_(customer, "get", reverse("case-detail", args=[case_id]))
    assert [t["name"] for t in customer_view["available_transitions"]] == [
        "confirm_resolution",
        "reject_resolution",
    ]
    closed = as_(customer, "post", transition, {"transition": "confirm_resolution"}, format="json")
    assert closed["status"] == "closed" and closed["reopen_until"] is not None
    reopened = as_(customer, "post", transition, {"transition": "reopen"}, format="json")
    assert reopened["status"] == "in_progress"

    customer_events = as_(customer, "get", reverse("case-events", args=[case_id]))["results"]
    staff_events = as_(analyst, "get", reverse("case-events", args=[case_id]))["results"]
    assert [e["to_status"] for e in customer_events if e["type"] in ("transition", "reopened")] == [
        "in_progress",
        "pending_customer",
        "in_progress",
        "pending_release",
        "verify_resolution",
        "closed",
        "in_progress",
    ]
    assert len(staff_events) > len(customer_events)  # the internal note's event is staff-only
    comments = as_(customer, "get", reverse("case-comments", args=[case_id]))
    assert [c["body"] for c in comments["results"]] == ["Send the log", "Log attached"]


def test_internal_comments_never_reach_customers(api_client):
    case = CaseFactory(status=S.IN_PROGRESS)
    analyst = AnalystFactory()
    api_client.force_authenticate(analyst)
    api_client.post(reverse("case-comments", args=[case.pk]), {"body": "secret", "is_internal": True})
    api_client.post(reverse("case-comments", args=[case.pk]), {"body": "public"})

    api_client.force_authenticate(case.opened_by)
    comments = api_client.get(reverse("case-comments", args=[case.pk])).json()
    events = api_client.get(reverse("case-events", args=[case.pk])).json()

    assert [c["body"] for c in comments["results"]] == ["public"]
    assert comments["count"] == 1
    assert all(e["data"].get("public", True) for e in events["results"])


def test_another_companys_case_is_404_everywhere(api_client):
    case = CaseFactory()
    api_client.force_authenticate(member(CompanyFactory(), role=Membership.Role.DSU))

    urls = [
        reverse("case-detail", args=[case.pk]),
        reverse("case-comments", args=[case.pk]),
        reverse("case-events", args=[case.pk]),
        reverse("case-attachments", args=[case.pk]),
    ]

    assert {api_client.get(url).status_code for url in urls} == {404}
    assert (
        api_client.post(reverse("case-transition", args=[case.pk]), {"transition": "reopen"}).status_code
        == 404
    )
    assert api_client.get(reverse("case-list")).json()["results"] == []


def test_us_member_gets_dsu_required_naming_the_managers(api_client):
    us = USCompanyFactory()
    manager = member(us, role=Membership.Role.MANAGER)
    api_client.force_authenticate(member(us))

    response = api_client.post(
        reverse("case-list"), _create_payload(ProductInstanceFactory(company=us)), format="json"
    )

    assert response.status_code == 403
    assert response.json()["code"] == "dsu_required"
    assert manager.email in response.json()["detail"]


def test_partner_opens_for_a_served_client_and_sees_it(api_client):
    client_company = CompanyFactory()
    establishment = PartnerEstablishmentFactory(clients=[client_company])
    partner = partner_user(establishment)
    api_client.force_authenticate(partner)

    created = api_client.post(
        reverse("case-list"),
        _create_payload(ProductInstanceFactory(company=client_company), company=client_company.pk),
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert created.json()["company_id"] == client_company.pk
    assert [c["id"] for c in api_client.get(reverse("case-list")).json()["results"]] == [created.json()["id"]]


def test_idempotency_key_header_returns_the_first_case(api_client):
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company)
    api_client.force_authenticate(member(company))

    first = api_client.post(
        reverse("case-list"), _create_payload(instance), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    again = api_client.post(
        reverse("case-list"), _create_payload(instance), format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Case.objects.count() == 1


def test_reopen_after_window_answers_409_with_follow_up(api_client, time_machine):
    case = CaseFactory(status=S.CLOSED, closed_at=None)
    time_machine.move_to("2026-05-01T10:00:00Z")
    Case.objects.filter(pk=case.pk).update(closed_at="2026-04-27T10:00:00Z")
    api_client.force_authenticate(case.opened_by)

    response = api_client.post(
        reverse("case-transition", args=[case.pk]), {"transition": "reopen"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "reopen_window_expired"
    assert response.json()["follow_up_of"] == case.pk


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"transition": "fly"}, 400, "invalid"),
        ({"transition": "propose_resolution"}, 409, "invalid_transition"),
        ({"transition": "start"}, 403, "transition_not_allowed"),
    ],
)
def test_refused_transitions_have_codes(api_client, payload, status, code):
    case = CaseFactory(status=S.OPEN)
    api_client.force_authenticate(case.opened_by)

    response = api_client.post(reverse("case-transition", args=[case.pk]), payload, format="json")

    assert (response.status_code, response.json()["code"]) == (status, code)


def test_missing_required_field_is_named(api_client):
    case = CaseFactory(status=S.IN_PROGRESS)
    api_client.force_authenticate(AnalystFactory())

    response = api_client.post(reverse("case-transition", args=[case.pk]), {"transition": "await_release"})

    assert response.status_code == 400
    assert response.json() == {
        "code": "field_required",
        "detail": "'await_release' needs tentative release date.",
        "field": "tentative_release_date",
    }


@pytest.mark.parametrize(
    ("name", "content", "status", "code"),
    [
        ("big.log", b"x" * 1025, 413, "file_too_large"),
        ("tool.exe", b"MZ" + b"\x00" * 10, 415, "unsupported_file_type"),
        ("fake.png", b"MZ not a png", 415, "file_content_mismatch"),
    ],
)
def test_refused_uploads(api_client, settings, tmp_path, name, content, status, code):
    settings.ATTACHMENT_MAX_BYTES = 1024
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)

    response = api_client.post(
        reverse("case-attachments", args=[case.pk]),
        {"file": SimpleUploadedFile(name, content)},
        format="multipart",
    )

    assert (response.status_code, response.json()["code"]) == (status, code)
    assert not case.attachments.exists()
    assert not any(tmp_path.rglob("*.*"))


def test_attachment_download_only_for_those_who_see_the_case(api_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)
    uploaded = api_client.post(
        reverse("case-attachments", args=[case.pk]),
        {"file": SimpleUploadedFile("app.log", b"ERROR x")},
        format="multipart",
    ).json()
    url = reverse("case-attachment-download", args=[case.pk, uploaded["id"]])

    mine = api_client.get(url)
    api_client.force_authenticate(member(CompanyFactory()))
    theirs = api_client.get(url)

    assert mine.status_code == 200 and b"".join(mine.streaming_content) == b"ERROR x"
    assert theirs.status_code == 404


def test_an_attachment_whose_file_is_gone_answers_404_with_its_code(api_client, settings, tmp_path, caplog):
    settings.MEDIA_ROOT = tmp_path
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)
    uploaded = api_client.post(
        reverse("case-attachments", args=[case.pk]),
        {"file": SimpleUploadedFile("app.log", b"ERROR x")},
        format="multipart",
    ).json()
    for stored in tmp_path.rglob("*.log"):
        stored.unlink()  # the volume lost it; the row remains

    response = api_client.get(reverse("case-attachment-download", args=[case.pk, uploaded["id"]]))

    assert (response.status_code, response.json()["code"]) == (404, "attachment_file_missing")
    assert response.json()["detail"]
    assert "has no stored file" in caplog.text


def test_escalation_over_the_api(api_client):
    case = CaseFactory(status=S.IN_PROGRESS)
    api_client.force_authenticate(case.opened_by)
    url = reverse("case-escalations", args=[case.pk])

    first = api_client.post(url, {"message": "Payroll blocked"})
    second = api_client.post(url, {"message": "Again"})

    assert first.status_code == 201
    assert (second.status_code, second.json()["code"]) == (409, "escalation_already_pending")


def test_case_list_filters_and_search(api_client):
    company = CompanyFactory()
    dsu = member(company, role=Membership.Role.DSU)
    p1 = CaseFactory(company=company, opened_by=dsu, priority="P1", subject="Payroll export broken")
    CaseFactory(company=company, opened_by=dsu, priority="P3", status=S.CLOSED)
    api_client.force_authenticate(dsu)

    def ids(**params):
        return [c["id"] for c in api_client.get(reverse("case-list"), params).json()["results"]]

    assert ids(priority="P1") == [p1.pk]
    assert ids(status="open") == [p1.pk]
    assert ids(search="payroll") == [p1.pk]
    assert ids(search=p1.number) == [p1.pk]
    assert len(ids()) == 2
    bad = api_client.get(reverse("case-list"), {"status": "nonsense"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"


def test_members_see_only_their_own_cases_when_the_company_says_so(api_client):
    company = CompanyFactory(case_visibility="own")
    alice, bob = member(company), member(company)
    dsu = member(company, role=Membership.Role.DSU)
    mine = CaseFactory(company=company, opened_by=alice)
    CaseFactory(company=company, opened_by=bob)

    api_client.force_authenticate(alice)
    assert [c["id"] for c in api_client.get(reverse("case-list")).json()["results"]] == [mine.pk]
    api_client.force_authenticate(dsu)
    assert api_client.get(reverse("case-list")).json()["results"].__len__() == 2


@pytest.mark.parametrize("page_size", [5, 50])
def test_case_list_runs_constant_queries_whatever_the_page_size(
    api_client, django_assert_max_num_queries, page_size
):
    company = CompanyFactory()
    dsu = member(company, role=Membership.Role.DSU)
    instance = ProductInstanceFactory(company=company)
    CaseFactory.create_batch(page_size, company=company, opened_by=dsu, product_instance=instance)
    api_client.force_authenticate(dsu)

    with django_assert_max_num_queries(3):  # membership + page (cursor pagination: no COUNT)
        response = api_client.get(reverse("case-list"), {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


def test_case_detail_query_count(api_client, django_assert_num_queries):
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)

    with django_assert_num_queries(3):  # membership, the case (catalogue codes as subqueries), its timers
        response = api_client.get(reverse("case-detail", args=[case.pk]))

    assert response.status_code == 200
    assert (response.json()["reason"], response.json()["application_area"]) == (
        case.reason.code,
        case.application_area.code,
    )


def test_case_detail_of_another_company_is_not_found(api_client):
    case = CaseFactory()
    api_client.force_authenticate(member(CompanyFactory()))

    response = api_client.get(reverse("case-detail", args=[case.pk]))

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_case_detail_serializer_reads_the_catalogue_rows_without_the_annotations():
    from cases.api.serializers import CaseDetailOutputSerializer

    case = CaseFactory()
    bare = Case.objects.get(pk=case.pk)
    bare.following = False  # annotated by every selector; not what this test is about

    data = CaseDetailOutputSerializer(bare).data

    assert (data["reason"], data["application_area"]) == (case.reason.code, case.application_area.code)


@pytest.fixture
def seeded(db):
    from django.core.management import call_command

    call_command("bootstrap", verbosity=0)  # the SLA policy, calendars and priority matrix


def _production_case_as_dsu(api_client):
    company = CompanyFactory()
    dsu = member(company, role=Membership.Role.DSU)
    instance = ProductInstanceFactory(company=company, environment="production")
    api_client.force_authenticate(dsu)
    response = api_client.post(reverse("case-list"), _seeded_payload(instance), format="json")
    assert response.status_code == 201  # also warms the per-process calendar cache, as in production
    api_client.force_authenticate(User.objects.get(pk=dsu.pk))  # membership not cached on the user yet
    return response.json()["id"], instance


def _seeded_payload(instance, **extra):
    any_product = ApplicationAreaFactory(code="any-product", name="Any product")
    return _create_payload(instance, application_area=any_product.code, **extra)


# Exact counts of the write endpoints. Under the test's transaction each service's own transaction is
# a SAVEPOINT / RELEASE pair (counted); served for real it is BEGIN / COMMIT (not counted), and the
# token lookup (force_authenticate here) adds one: the live figures are in benchmarks/request_profile.py.


def test_case_create_query_count(
    api_client, seeded, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _, instance = _production_case_as_dsu(api_client)
    payload = _seeded_payload(instance)

    # reason, area, membership, product instance; [SAVEPOINT] priority rule, the case INSERT and its
    # number, the SLA targets (one query for all metrics), the timers (one INSERT), the event (the notices
    # use the new case in memory; no followers yet), the notice's due time, webhooks, the outbox row (one
    # INSERT … ON CONFLICT DO NOTHING), [RELEASE]; the timers for the answer (from the new case: no re-read).
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(16):
        response = api_client.post(reverse("case-list"), payload, format="json")

    assert response.status_code == 201
    assert [t["metric"] for t in response.json()["sla"]] == ["first_response"]  # what the seed defines


def test_create_answers_exactly_what_a_get_of_the_new_case_answers(api_client, seeded):
    _, instance = _production_case_as_dsu(api_client)
    payload = _seeded_payload(instance, occurred_at="2026-06-01T09:05:00+02:00")

    created = api_client.post(reverse("case-list"), payload, format="json").json()
    fetched = api_client.get(reverse("case-detail", args=[created["id"]])).json()

    def stable(body):  # business time left depends on the instant of the request
        return {**body, "sla": [{**t, "business_seconds_remaining": None} for t in body["sla"]]}

    assert stable(created) == stable(fetched)
    assert created["occurred_at"] == "2026-06-01T07:05:00Z"


def test_a_follow_up_and_an_idempotent_repeat_answer_what_a_get_answers(api_client):
    closed = CaseFactory(status=S.CLOSED, assignee=AnalystFactory())
    api_client.force_authenticate(closed.opened_by)
    payload = {
        "follow_up_of": closed.pk,
        "subject": "Back again",
        "problem_summary": "The fix no longer holds.",
        "reason": closed.reason.code,
        "application_area": closed.application_area.code,
        "business_impact_scope": "organisation",
        "business_impact": "high",
    }

    first = api_client.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="f1")
    again = api_client.post(reverse("case-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY="f1")
    fetched = api_client.get(reverse("case-detail", args=[first.json()["id"]]))

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json() == fetched.json()
    assert (first.json()["follow_up_of"], first.json()["assignee"]["id"]) == (closed.pk, closed.assignee.pk)


def test_comment_create_query_count(api_client, seeded, django_assert_num_queries):
    case_id, _ = _production_case_as_dsu(api_client)

    # membership; [SAVEPOINT] the case locked, which is the visibility check too (with what the
    # notices read), the comment, the event (a customer's comment mails no customer: followers not
    # read), webhooks, the case's activity stamp [RELEASE]; the answer is the comment in hand.
    with django_assert_num_queries(8):
        response = api_client.post(
            reverse("case-comments", args=[case_id]), {"body": "More logs"}, format="json"
        )

    assert response.status_code == 201


def test_a_partner_comment_costs_one_query_more_the_serving_check(
    api_client, seeded, django_assert_num_queries
):
    case_id, instance = _production_case_as_dsu(api_client)
    partner = partner_user(PartnerEstablishmentFactory(clients=[instance.company]))
    api_client.force_authenticate(partner)

    # test_comment_create_query_count's eight, and whether the partner's establishment serves the
    # case's company, asked inside the transaction (a company member's rule needs no query).
    with django_assert_num_queries(9):
        response = api_client.post(
            reverse("case-comments", args=[case_id]), {"body": "More logs"}, format="json"
        )

    assert response.status_code == 201


def test_transition_query_count(api_client, seeded, django_assert_num_queries):
    case_id, _ = _production_case_as_dsu(api_client)
    api_client.force_authenticate(AnalystFactory())

    # [SAVEPOINT] the case locked, which is the visibility check too (with what the notices and the
    # answer read), the UPDATE, the event (starting work mails no customer: followers not read),
    # webhooks, the timers locked, the status history, one UPDATE per timer [RELEASE]; its timers
    # (the answer is the case in hand).
    with django_assert_num_queries(10):
        response = api_client.post(
            reverse("case-transition", args=[case_id]), {"transition": "start"}, format="json"
        )

    assert (response.status_code, response.json()["status"]) == (200, "in_progress")


def test_catalog_lists_only_active_values(api_client):
    CaseReasonFactory(code="system-issue")
    CaseReasonFactory(code="retired", name="Retired", is_active=False)
    api_client.force_authenticate(AnalystFactory())

    codes = [r["code"] for r in api_client.get(reverse("catalog-case-reasons")).json()]

    assert codes == ["system-issue"]


def test_priority_override_is_support_only(api_client):
    case = CaseFactory()
    api_client.force_authenticate(case.opened_by)

    response = api_client.post(
        reverse("case-priority", args=[case.pk]), {"priority": "P1", "reason": "urgent"}
    )

    assert (response.status_code, response.json()["code"]) == (403, "support_only")
    assert not CaseEvent.objects.filter(case=case, type=CaseEvent.Type.PRIORITY_CHANGED).exists()


def test_catalogue_codes_are_looked_up_by_field_and_an_unknown_one_is_a_clear_400(api_client):
    """``reason`` and ``application_area`` are compiled lookups of their own (core.api.serializers
    CodeRelatedField): a reason's code is no application area, and a code nobody defined is named."""
    company = CompanyFactory()
    instance = ProductInstanceFactory(company=company)
    api_client.force_authenticate(member(company, role=Membership.Role.DSU))
    reason, area = CaseReasonFactory(code="slow-posting"), ApplicationAreaFactory(code="general-ledger")

    created = api_client.post(
        reverse("case-list"),
        _create_payload(instance, reason=reason.code, application_area=area.code),
        format="json",
    )
    swapped = api_client.post(
        reverse("case-list"),
        _create_payload(instance, reason=area.code, application_area=reason.code),
        format="json",
    )

    assert created.status_code == 201, created.json()
    assert (created.json()["reason"], created.json()["application_area"]) == (
        "slow-posting",
        "general-ledger",
    )
    assert swapped.status_code == 400
    body = swapped.json()
    assert body["code"] == "invalid"
    assert body["errors"]["reason"][0]["code"] == "does_not_exist"
    assert body["errors"]["reason"][0]["message"] == "Object with code=general-ledger does not exist."
    assert body["errors"]["application_area"][0]["code"] == "does_not_exist"
