"""The full transition table: every status × transition × role, allowed or refused with its code.

The expectations are written out from the source's status table, not derived from the code.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Membership
from cases.models import Case, CaseEvent
from cases.selectors import TRANSITION_INPUTS
from cases.services import case_transition
from core.errors import ApplicationError
from tests.factories import AnalystFactory, CaseFactory, OutOfScopeReasonFactory, member

pytestmark = pytest.mark.django_db

S = Case.Status
SUPPORT, CUSTOMER = "support", "customer"

# (status, transition) → (who may, target)
ALLOWED = {
    (S.OPEN, "start"): (SUPPORT, S.IN_PROGRESS),
    (S.OPEN, "close_out_of_scope"): (SUPPORT, S.CLOSED),
    (S.IN_PROGRESS, "await_release"): (SUPPORT, S.PENDING_RELEASE),
    (S.IN_PROGRESS, "engage_engineering"): (SUPPORT, S.PENDING_ENGINEERING),
    (S.IN_PROGRESS, "request_customer_action"): (SUPPORT, S.PENDING_CUSTOMER),
    (S.IN_PROGRESS, "propose_resolution"): (SUPPORT, S.VERIFY_RESOLUTION),
    (S.IN_PROGRESS, "close_out_of_scope"): (SUPPORT, S.CLOSED),
    (S.PENDING_RELEASE, "resume"): (SUPPORT, S.IN_PROGRESS),
    (S.PENDING_RELEASE, "propose_resolution"): (SUPPORT, S.VERIFY_RESOLUTION),
    (S.PENDING_ENGINEERING, "resume"): (SUPPORT, S.IN_PROGRESS),
    (S.PENDING_ENGINEERING, "propose_resolution"): (SUPPORT, S.VERIFY_RESOLUTION),
    (S.PENDING_CUSTOMER, "respond"): (CUSTOMER, S.IN_PROGRESS),
    (S.VERIFY_RESOLUTION, "confirm_resolution"): (CUSTOMER, S.CLOSED),
    (S.VERIFY_RESOLUTION, "reject_resolution"): (CUSTOMER, S.IN_PROGRESS),
    (S.CLOSED, "reopen"): (CUSTOMER, S.IN_PROGRESS),
}

CELLS = [
    (status, name, role)
    for status in S.values
    for name in sorted(TRANSITION_INPUTS)
    for role in (SUPPORT, CUSTOMER)
]


def _expected(status: str, name: str, role: str) -> tuple[str, str]:
    allowed = ALLOWED.get((status, name))
    if allowed is None:
        return "refused", "invalid_transition"
    who, target = allowed
    return ("ok", target) if who == role else ("refused", "transition_not_allowed")


@pytest.mark.parametrize(("status", "name", "role"), CELLS, ids=[f"{s}-{n}-{r}" for s, n, r in CELLS])
def test_transition_table(status, name, role):
    now = timezone.now()
    case = CaseFactory(status=status, closed_at=now - timedelta(hours=1) if status == S.CLOSED else None)
    actor = AnalystFactory() if role == SUPPORT else member(case.company, role=Membership.Role.DSU)
    outcome, detail = _expected(status, name, role)
    inputs = {
        "message": "Please send the log file.",
        "resolution": "Fixed in 2026 R4.",
        "tentative_release_date": timezone.localdate() + timedelta(days=30),
        "out_of_scope_reason": OutOfScopeReasonFactory(),
        "reason": "Customer called back.",
    }

    if outcome == "ok":
        moved = case_transition(case=case, actor=actor, transition=name, now=now, **inputs).case
        assert moved.status == detail
        event = CaseEvent.objects.filter(case=case).latest("id")
        assert (event.from_status, event.to_status, event.transition, event.actor) == (
            status,
            detail,
            name,
            actor,
        )
    else:
        with pytest.raises(ApplicationError) as refused:
            case_transition(case=case, actor=actor, transition=name, now=now, **inputs)
        assert refused.value.code == detail
        case.refresh_from_db()
        assert case.status == status
        assert not CaseEvent.objects.filter(case=case).exists()


def test_the_case_names_its_fsm_fields_exactly_as_django_fsm_would_find_them():
    """Case.state_fields is a shortcut for ConcurrentTransitionMixin's scan of every field."""
    from django_fsm import FSMFieldMixin

    found = [field for field in Case._meta.fields if isinstance(field, FSMFieldMixin)]
    assert list(Case().state_fields) == found
