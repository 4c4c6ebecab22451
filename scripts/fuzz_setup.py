"""Seed a database for contract fuzzing and print NAME=value lines: one API token per actor, and
the ids of live objects (FUZZ_*) that schemathesis.toml puts into path parameters, so that the
generated requests reach the code behind the 404 of an unknown id.

Run with ``python manage.py shell < scripts/fuzz_setup.py`` after ``migrate`` and ``demo_load``.
"""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuthorizationRequest, Company, ProductInstance, User
from accounts.services import api_token_create, authorization_request_create
from cases.models import ApplicationArea, Attachment, CaseReason, EscalationRequest
from cases.services import attachment_add, case_create, comment_create, escalation_request

# TOKEN_OWNER fuzzes the token-revoking operations, which would end the other actors' sessions.
# SUPPORT_MANAGER fuzzes the reports, which refuse the others (403).
actors = {
    "CUSTOMER": "us.dsu",
    "PARTNER": "partner.west",
    "ANALYST": "analyst",
    "TOKEN_OWNER": "us.manager",
    "SUPPORT_MANAGER": "supportmanager",
}
customer = User.objects.get(username="us.dsu")
company = Company.objects.get(pk=1)
if not company.cases.exists():
    for n in range(3):
        case, _ = case_create(
            opened_by=customer,
            company=company,
            product_instance=ProductInstance.objects.filter(company=company).first(),
            subject=f"Fuzzing seed case {n}",
            problem_summary="Seeded so that list and detail endpoints have something to show.",
            reason=CaseReason.objects.get(code="system-issue"),
            application_area=ApplicationArea.objects.get(code="general-ledger"),
            business_impact_scope="group",
            business_impact="medium",
            now=timezone.now(),
        )
        comment_create(case=case, author=customer, body="First comment.")
    first = company.cases.earliest("pk")
    attachment_add(case=first, uploaded_by=customer, upload=SimpleUploadedFile("log.txt", b"ERROR 42\n"))
    escalation_request(case=first, requested_by=customer, message="Month-end close is blocked.")
    authorization_request_create(
        requested_by=customer,
        company=company,
        kind=AuthorizationRequest.Kind.NEW_DSU,
        subject_user=User.objects.get(username="us.member"),
        reason="Covers for the DSU on leave.",
    )
first = company.cases.earliest("pk")
live = {
    "FUZZ_CASE_ID": first.pk,
    "FUZZ_COMPANY_ID": company.pk,
    "FUZZ_USER_ID": User.objects.get(username="us.member").pk,
    "FUZZ_ATTACHMENT_ID": Attachment.objects.filter(case=first).values_list("pk", flat=True).first(),
    "FUZZ_ESCALATION_ID": EscalationRequest.objects.filter(case=first).values_list("pk", flat=True).first(),
    "FUZZ_REQUEST_ID": AuthorizationRequest.objects.filter(company=company)
    .values_list("pk", flat=True)
    .first(),
}
for name, value in live.items():
    print(f"{name}={value}")
for name, username in actors.items():
    _, secret = api_token_create(user=User.objects.get(username=username))
    print(f"{name}={secret}")
