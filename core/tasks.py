from celery import shared_task


@shared_task(ignore_result=False)
def ping(value: str) -> str:
    """Round-trip probe: proves a worker consumes the broker and can answer."""
    return f"pong: {value}"
