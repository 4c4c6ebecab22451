from django.apps import AppConfig

from core.observability.metrics import metrics_collector_register


class SlaConfig(AppConfig):
    name = "sla"
    verbose_name = "Sla"

    def ready(self) -> None:
        # Lazy (AppConfig.ready): the collector reads sla's models, which exist only once the registry is ready.
        from sla.metrics import sla_metrics_collect

        metrics_collector_register("sla", sla_metrics_collect)
