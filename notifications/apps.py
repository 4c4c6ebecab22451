from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from anymail.signals import inbound

        from core.observability.metrics import metrics_collector_register
        from notifications import checks  # noqa: F401  (registers the system checks)
        from notifications.inbound.providers import anymail_inbound_received
        from notifications.metrics import inbound_metrics_collect, outbox_metrics_collect

        # Mail received by a provider arrives through anymail's inbound signal (a framework hook).
        inbound.connect(anymail_inbound_received, dispatch_uid="casedesk-inbound-email")
        metrics_collector_register("outbox", outbox_metrics_collect)
        metrics_collector_register("inbound", inbound_metrics_collect)
