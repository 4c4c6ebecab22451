from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.signals import inbound

        from notifications import checks  # noqa: F401  (registers the system checks)
        from notifications.inbound.providers import anymail_inbound_received

        # Mail received by a provider arrives through anymail's inbound signal (a framework hook).
        inbound.connect(anymail_inbound_received, dispatch_uid="casedesk-inbound-email")
