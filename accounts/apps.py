from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts.notices import password_reset_link
        from notifications.delivery import send_time_context_register

        # The reset e-mail's link carries a token made at sending, never stored on the outbox row.
        send_time_context_register("password_reset", password_reset_link)
