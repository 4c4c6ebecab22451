from celery import shared_task

from sla.services import sla_timers_follow_calendars, sla_timers_sweep


@shared_task
def sla_timers_sweep_task() -> dict[str, int]:
    """Mark due SLA warnings and breaches, and follow calendar edits (every minute on beat)."""
    counts = sla_timers_sweep()
    # Timers still computed under an edited calendar's earlier version (a lost follow-up message).
    followed = sla_timers_follow_calendars()
    return {**counts, "calendar_moved": followed.moved}


@shared_task
def sla_timers_follow_calendars_task() -> int:
    """Recompute the live timers of edited calendars, batch after batch (each its own transaction)."""
    moved = 0
    for _ in range(100):  # bounded: the sweep on beat takes over beyond this
        result = sla_timers_follow_calendars()
        moved += result.moved
        if not result.outdated or not result.checked:
            break
    return moved
