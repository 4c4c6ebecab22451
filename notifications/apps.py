from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core.observability.metrics import metrics_collector_register
        from notifications.metrics import inbound_metrics_collect, outbox_metrics_collect

        metrics_collector_register("outbox", outbox_metrics_collect)
        metrics_collector_register("inbound", inbound_metrics_collect)
