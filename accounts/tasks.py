from celery import shared_task


@shared_task
def password_reset_email_send_task(user_id: int) -> None:
    """Send the approved password-reset link to the user."""
    from accounts.services import password_reset_email_send

    password_reset_email_send(user_id=user_id)


@shared_task
def authorization_requests_expire_task() -> int:
    from accounts.services import authorization_requests_expire

    return authorization_requests_expire()
