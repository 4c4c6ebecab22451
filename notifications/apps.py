from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.signals import inbound
        from django.core import checks

        from notifications.checks import inbound_email_check
        from notifications.inbound.providers import anymail_inbound_received

        checks.register(inbound_email_check, checks.Tags.security)

        # Mail received by a provider arrives through anymail's inbound signal (a framework hook).
        inbound.connect(anymail_inbound_received, dispatch_uid="casedesk-inbound-email")
