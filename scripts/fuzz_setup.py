"""Seed a database for contract fuzzing and print one API token per actor: NAME=token lines.

Run with ``python manage.py shell < scripts/fuzz_setup.py`` after ``migrate`` and ``demo_load``.
"""

from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.models import Company, ProductInstance, User
from cases.models import ApplicationArea, CaseReason
from cases.services import case_create, comment_create

actors = {"CUSTOMER": "us.dsu", "PARTNER": "partner.west", "ANALYST": "analyst"}
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
for name, username in actors.items():
    token, _ = Token.objects.get_or_create(user=User.objects.get(username=username))
    print(f"{name}={token.key}")
