from typing import Any

from django.apps import AppConfig
from django.core.signals import request_finished
from django.db.models import Field, ForeignKey
from django.db.models.signals import post_migrate
from django.urls import register_converter
from django.utils.module_loading import autodiscover_modules

from core.bulk import AnyOf
from core.converters import IdConverter
from core.observability.metrics import metrics_collector_register
from core.observability.request_id import request_id_clear


def _sync_beat_schedule(sender: AppConfig, **kwargs: Any) -> None:
    # Lazy: this module loads while the app registry fills, before django-celery-beat's models exist.
    from core.scheduling import beat_schedule_sync

    beat_schedule_sync()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Lazy (AppConfig.ready): core.jobs reads core's models, which exist only once the registry is ready.
        # Importing it connects its Celery signal recorders.
        from core.jobs import job_metrics_collect

        # Every app's error codes (<app>/errors.py) join core.errors.CATALOGUE, which the schema reads.
        autodiscover_modules("errors")
        register_converter(IdConverter, "id")
        Field.register_lookup(AnyOf)
        ForeignKey.register_lookup(AnyOf)  # foreign keys keep lookups of their own
        # Framework hook: after `migrate`, make sure the default beat schedule exists.
        post_migrate.connect(_sync_beat_schedule, sender=self)
        # Framework hook: a finished response ends its request id (core/observability/request_id.py).
        request_finished.connect(request_id_clear, dispatch_uid="casedesk_request_id_clear")
        metrics_collector_register("jobs", job_metrics_collect)
        # Every process registers every task (core.publish.task_named): services publish tasks by
        # name, since each tasks module imports the services it calls.
        autodiscover_modules("tasks")
