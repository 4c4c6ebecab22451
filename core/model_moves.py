"""What a migration needs when a model moves to another app with its table kept
(``SeparateDatabaseAndState``): its content type follows it, so the permissions granted on it and
the admin's history of it stay attached. The rows are relabelled, never recreated."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def _relabel(apps: Apps, models: tuple[str, ...], source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in models:
        # A database where the target already exists keeps it (and its permissions) as it is.
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_move(*, models: Iterable[str], source: str, target: str) -> migrations.RunPython:
    """The reversible operation that moves ``models``' content types from ``source`` to ``target``."""
    names = tuple(models)

    def forward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        _relabel(apps, names, source, target)

    def backward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        _relabel(apps, names, target, source)

    return migrations.RunPython(forward, backward)
