from celery import Task, shared_task
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.notices import notifications_for_password_reset
from accounts.services import authorization_requests_expire


@shared_task(bind=True)
def password_reset_email_send_task(self: Task, user_id: int) -> None:
    """Messages queued by an earlier release: the reset e-mail becomes an outbox row (keyed by the
    message's id, so a redelivered message writes nothing twice). New approvals write it directly."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is not None:
        with transaction.atomic():
            notifications_for_password_reset(
                user=user, key=f"password_reset_task:{self.request.id}", now=timezone.now()
            )


@shared_task
def authorization_requests_expire_task() -> int:
    return authorization_requests_expire()
