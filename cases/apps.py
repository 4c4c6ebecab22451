from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "cases"
    verbose_name = "Cases"

    def ready(self) -> None:
        from cases.metrics import cases_metrics_collect
        from core.observability.metrics import metrics_collector_register

        metrics_collector_register("cases", cases_metrics_collect)
