from django.apps import AppConfig


class InboundConfig(AppConfig):
    name = "inbound"
    verbose_name = "Inbound mail"

    def ready(self) -> None:
        from anymail.signals import inbound

        from core.observability.metrics import metrics_collector_register
        from inbound import checks  # noqa: F401  (registers the system checks)
        from inbound.metrics import inbound_metrics_collect
        from inbound.providers import anymail_inbound_received

        # Mail received by a provider arrives through anymail's inbound signal (a framework hook).
        inbound.connect(anymail_inbound_received, dispatch_uid="casedesk-inbound-email")
        metrics_collector_register("inbound", inbound_metrics_collect)
