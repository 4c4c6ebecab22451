"""``manage.py demo_load``: bootstrap, demo accounts, and demo cases that show every part of the product."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accounts.models import AuthorizationRequest, Company, Membership, User
from cases.models import Case, CaseEvent, CaseStatus, Comment, EscalationRequest
from notifications.models import Notification
from sla.models import SlaTimer

pytestmark = pytest.mark.django_db
# A Wednesday afternoon in Europe and a Wednesday morning in California: the demo's clock.
NOW = datetime(2026, 6, 3, 15, 0, tzinfo=UTC)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            User,
            Company,
            Membership,
            Case,
            Comment,
            CaseEvent,
            SlaTimer,
            EscalationRequest,
            AuthorizationRequest,
            Notification,
        )
    }


@pytest.fixture
def demo(settings, time_machine):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]  # the fixtures' hasher
    time_machine.move_to(NOW, tick=False)
    call_command("demo_load", verbosity=0)


def test_demo_cases_cover_every_status(demo):
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus.values)
    closed = Case.objects.get(status=CaseStatus.CLOSED)
    assert closed.reopen_until > NOW  # a reopen can still be tried
    assert Case.objects.get(status=CaseStatus.VERIFY_RESOLUTION).auto_close_at > NOW
    waiting = Case.objects.get(status=CaseStatus.OPEN)
    assert (waiting.assignee, waiting.queue is not None) == (None, True)  # in a queue, for an analyst


def test_demo_shows_a_missed_target_an_escalation_and_an_authorisation_request_waiting(demo):
    breached = SlaTimer.objects.filter(state=SlaTimer.State.BREACHED, metric="first_response")
    assert breached.exists()
    for timer in breached:  # recorded by the sweep, as beat would have
        assert timer.breached_at < NOW
        assert timer.case.events.filter(type=CaseEvent.Type.SLA_BREACHED).exists()
    escalation = EscalationRequest.objects.get(status=EscalationRequest.Status.PENDING)
    assert escalation.case.status != CaseStatus.CLOSED
    assert escalation.comment.is_escalation_request
    request = AuthorizationRequest.objects.get(status=AuthorizationRequest.Status.PENDING)
    assert request.expires_at > NOW
    raised_on = Case.objects.filter(company=request.company, comments__body__contains=f"#{request.pk}")
    assert raised_on.exists()


def test_demo_conversations_are_in_english_french_and_spanish(demo):
    public = Comment.objects.filter(is_internal=False).select_related("case__company", "author")
    assert {c.case.company.language for c in public} == {"en", "fr", "es"}
    by_language = {lang: {c.body for c in public if c.case.company.language == lang} for lang in ("fr", "es")}
    assert any("Bonjour" in body for body in by_language["fr"])
    assert any("Hola" in body for body in by_language["es"])
    assert {c.author.is_staff for c in public} == {True, False}  # both sides speak


def test_demo_events_follow_the_clock_of_each_case(demo):
    for case in Case.objects.all():
        times = list(case.events.order_by("pk").values_list("created_at", flat=True))
        assert times[0] == case.created_at
        assert times == sorted(times)
        assert times[-1] <= NOW


def test_demo_load_twice_duplicates_nothing(demo):
    before = counts()
    assert before["Case"] > 0

    call_command("demo_load", verbosity=0)

    assert counts() == before
    assert User.objects.get(username="us.dsu").check_password("casedesk-demo")
    assert Company.objects.get(country="US").sla_band == 3


def test_demo_load_without_cases_loads_reference_data_and_accounts_only(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    call_command("demo_load", no_cases=True, verbosity=0)

    users = json.loads(Path(settings.BASE_DIR, "fixtures", "demo", "01_users.json").read_text())
    assert User.objects.count() == len(users)
    assert Case.objects.count() == 0
    assert Membership.objects.filter(user__username="us.dsu", role="dsu").exists()


def test_demo_data_is_not_reference_data():
    reference = Path(settings.BASE_DIR, "fixtures", "reference")
    models = {row["model"] for path in reference.glob("*.json") for row in json.loads(path.read_text())}
    assert not models & {"accounts.user", "accounts.company", "accounts.membership", "accounts.partner"}
