from celery import shared_task


@shared_task
def sla_timers_sweep_task() -> dict[str, int]:
    """Mark due SLA warnings and breaches (every minute on beat)."""
    from sla.services import sla_timers_sweep

    return sla_timers_sweep()
