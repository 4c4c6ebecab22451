from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core.observability.metrics import metrics_collector_register
        from notifications import checks  # noqa: F401  (registers the system checks)
        from notifications.metrics import outbox_metrics_collect

        metrics_collector_register("outbox", outbox_metrics_collect)
