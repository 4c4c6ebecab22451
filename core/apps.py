from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_beat_schedule(sender: AppConfig, **kwargs: Any) -> None:
    from core.scheduling import beat_schedule_sync

    beat_schedule_sync()


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from django.db.models import Field, ForeignKey
        from django.urls import register_converter

        from core.bulk import AnyOf
        from core.converters import IdConverter

        register_converter(IdConverter, "id")
        Field.register_lookup(AnyOf)
        ForeignKey.register_lookup(AnyOf)  # foreign keys keep lookups of their own
        # Framework hook: after `migrate`, make sure the default beat schedule exists.
        post_migrate.connect(_sync_beat_schedule, sender=self)
