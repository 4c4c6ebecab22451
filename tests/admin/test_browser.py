"""The workspace in a real browser: Playwright drives Debian's Chromium against the live server.

An analyst opens the Unassigned queue, takes a case, replies publicly and asks the customer for
something (through the transition's message form); a support manager approves an authorisation
request with the accounts admin action. Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections

from accounts.models import AuthorizationRequest, Company, Membership, ProductInstance, User
from accounts.services import authorization_request_create
from cases.models import ApplicationArea, Case, CaseReason, CaseStatus
from cases.services import case_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "casedesk-browser-test"
SCREENSHOTS = Path(settings.BASE_DIR) / "artifacts" / "screenshots"
TIMEOUT_MS = 10_000


@pytest.fixture
def chromium(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes meanwhile
    # are still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright's loop runs open a connection the database teardown
            # does not close (PostgreSQL then refuses to drop the test database): close it here.
            connections.close_all()


@pytest.fixture
def site(live_server, settings) -> str:
    """The live server's URL, serving plain HTTP with this test's settings.

    ``live_server`` is session-scoped: its handler loaded the middleware (SecurityMiddleware reads
    SECURE_SSL_REDIRECT once) before the per-test settings applied, so it is rebuilt here."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.handlers.wsgi import WSGIHandler

    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    live_server.thread.httpd.set_app(StaticFilesHandler(WSGIHandler()))
    return live_server.url


@pytest.fixture
def demo(site) -> dict[str, object]:
    """The demo data, three new cases waiting unassigned, and a pending DSU request at Acme."""
    call_command("demo_load", no_cases=True, verbosity=0)
    for username in ("analyst", "supportmanager"):
        user = User.objects.get(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    cases = []
    for username, subject in [
        ("us.dsu", "Journal posting fails with E1234"),
        ("fr.member", "Export FEC incomplet"),
        ("es.member", "Informe de IVA vacío"),
    ]:
        opener = User.objects.get(username=username)
        company = opener.membership.company
        instance = ProductInstance.objects.filter(company=company, environment="production").first()
        case, _ = case_create(
            opened_by=opener,
            company=company,
            product_instance=instance,
            subject=subject,
            problem_summary="Posting a journal entry fails since this morning.",
            error_message="E1234: ledger locked by another session",
            replication_steps="1. Open General Ledger\n2. Post any entry\n3. The error appears",
            expected_result="Expected the entry to post; got E1234.",
            reason=CaseReason.objects.filter(is_active=True).first(),
            application_area=ApplicationArea.objects.filter(is_active=True, product=None).first()
            or ApplicationArea.objects.filter(is_active=True, product=instance.product).first(),
            business_impact_scope="group",
            business_impact="high",
        )
        cases.append(case)
    acme = Company.objects.get(name__startswith="Acme")
    request = authorization_request_create(
        requested_by=User.objects.get(username="us.manager"),
        company=acme,
        kind=AuthorizationRequest.Kind.NEW_DSU,
        subject_user=User.objects.get(username="us.member"),
        requested_role=Membership.Role.DSU,
    )
    return {"cases": cases, "request": request, "url": site}


def login(browser, base_url: str, username: str):
    page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    return page


def test_analyst_takes_replies_and_asks_the_customer(chromium, demo):
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    case = demo["cases"][0]
    page = login(chromium, demo["url"], "analyst")

    expect(page.locator("#queue-unassigned .cd-count")).to_have_text("3")
    page.screenshot(path=SCREENSHOTS / "admin-index.png", full_page=True)
    page.click("#queue-unassigned")
    expect(page.locator("#result_list tbody tr")).to_have_count(3)
    expect(page.locator("#queue-unassigned")).to_have_class("cd-active")
    page.screenshot(path=SCREENSHOTS / "queue-unassigned.png", full_page=True)

    page.click(f"#result_list a:text-is('{case.number}')")
    expect(page.locator(".cd-header h1")).to_contain_text(case.subject)
    page.click("button[data-transition=start]")
    expect(page.locator(".messagelist")).to_contain_text("Take case & start done; now 'In progress'")

    page.fill("#id_body", "Thank you, we are looking at the ledger lock now.")
    page.click("#send-reply")
    expect(page.locator(".messagelist")).to_contain_text("public reply sent")

    page.click("a[data-transition=request_customer_action]")
    page.fill("#id_message", "Please record the problem with the issue recorder and attach the zip.")
    page.screenshot(path=SCREENSHOTS / "transition-form.png", full_page=True)
    page.click("#confirm-transition")
    expect(page.locator(".messagelist")).to_contain_text("now 'Pending customer action'")
    expect(page.locator(".cd-comment")).to_have_count(2)
    page.screenshot(path=SCREENSHOTS / "case-page.png", full_page=True)

    case.refresh_from_db()
    assert (case.status, case.assignee.username) == (CaseStatus.PENDING_CUSTOMER, "analyst")
    assert list(case.comments.values_list("is_internal", flat=True)) == [False, False]
    assert Case.objects.filter(assignee__isnull=True).count() == 2


def test_support_manager_approves_an_authorisation_request(chromium, demo):
    from playwright.sync_api import expect

    request = demo["request"]
    page = login(chromium, demo["url"], "supportmanager")

    page.goto(f"{demo['url']}/admin/accounts/authorizationrequest/?status__exact=pending")
    page.check(f"input[name=_selected_action][value='{request.pk}']")
    page.select_option("select[name=action]", "approve_selected")
    page.click("button[name=index]")
    page.fill("#id_reason", "Confirmed with Acme's manager.")  # the decision's reason, asked first
    page.click("input[type=submit][value=Approve]")
    expect(page.locator(".messagelist")).to_contain_text(f"#{request.pk}: approved.")
    page.screenshot(path=SCREENSHOTS / "authorisation-approved.png", full_page=True)

    request.refresh_from_db()
    assert (request.status, request.decision_reason) == (
        AuthorizationRequest.Status.APPROVED,
        "Confirmed with Acme's manager.",
    )
    assert Membership.objects.get(user__username="us.member").role == Membership.Role.DSU
