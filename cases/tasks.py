from celery import shared_task

from cases.metrics import AUTO_CLOSE_RUNS, AUTO_CLOSED_CASES
from cases.notices import agent_notice_digests_write
from cases.services.routing import case_route, cases_route_pending
from cases.services.transitions import case_auto_close_due, case_auto_close_reminders_due

# A scheduled run works through at most this many batches, then leaves the rest to the next run.
MAX_BATCHES_PER_RUN = 20


@shared_task
def cases_auto_close_task() -> int:
    """Close cases 9 days into Verify Resolution (bounded batches; safe to run on two workers)."""
    closed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = case_auto_close_due()
        closed += len(batch)
        if not batch:
            break
    AUTO_CLOSE_RUNS.inc()
    AUTO_CLOSED_CASES.inc(closed)
    return closed


@shared_task
def cases_auto_close_reminders_task() -> int:
    """Remind customers two days before the automatic close."""
    reminded = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = case_auto_close_reminders_due()
        reminded += len(batch)
        if not batch:
            break
    return reminded


@shared_task
def cases_route_pending_task() -> int:
    """Route the cases whose routing message was lost (beat; bounded; safe beside the routing task)."""
    routed = 0
    for _ in range(MAX_BATCHES_PER_RUN):
        batch = cases_route_pending()
        routed += batch
        if not batch:
            break
    return routed


@shared_task
def case_route_task(case_id: int) -> None:
    """Route a new case to its queue and the next available analyst (after the creating commit).
    Idempotent: a case already routed, assigned, closed or deleted is left as it is."""
    case_route(case_id=case_id)


@shared_task
def agent_notice_digests_task() -> int:
    """Write the digest e-mails whose window has ended (beat; idempotent per analyst and window)."""
    return agent_notice_digests_write()
