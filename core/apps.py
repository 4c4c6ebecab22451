import contextlib
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_beat_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from core.scheduling import beat_schedule_sync

    beat_schedule_sync()


def _register_job_gauges() -> None:
    from prometheus_client import REGISTRY

    from core.jobs import JobRunCollector

    with contextlib.suppress(ValueError):  # already registered (apps set up twice in this process)
        REGISTRY.register(JobRunCollector())


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models import Field, ForeignKey
        from django.urls import register_converter

        import core.jobs  # noqa: F401  (connects the job-run recorders to Celery's task signals)
        from core.bulk import AnyOf
        from core.converters import IdConverter

        register_converter(IdConverter, "id")
        Field.register_lookup(AnyOf)
        ForeignKey.register_lookup(AnyOf)  # foreign keys keep lookups of their own
        # Framework hook: after `migrate`, make sure the default beat schedule exists.
        post_migrate.connect(_sync_beat_schedule, sender=self)
        _register_job_gauges()
