from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Sla"

    def ready(self) -> None:
        from core.observability.metrics import metrics_collector_register
        from sla.metrics import sla_metrics_collect

        metrics_collector_register("sla", sla_metrics_collect)
