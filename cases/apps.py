from django.apps import AppConfig

from core.observability.metrics import metrics_collector_register


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        # Lazy (AppConfig.ready): the collector reads cases' models, which exist only once the registry is ready.
        from cases.metrics import cases_metrics_collect

        metrics_collector_register("cases", cases_metrics_collect)
