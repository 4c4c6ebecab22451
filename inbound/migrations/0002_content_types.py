# The moved models' content types follow them to the ``inbound`` app, so the permissions granted on
# them (and the admin's history of them) stay attached: the rows are relabelled, never recreated.

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

MODELS = ("inboundemail", "inboundautoreply")


def _relabel(apps: Apps, *, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        # A database where the target already exists keeps it (and its permissions) as it is.
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def forward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, source="notifications", target="inbound")


def backward(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    _relabel(apps, source="inbound", target="notifications")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inbound", "0001_initial"),
        ("notifications", "0009_inbound_models_moved"),
    ]

    operations = [migrations.RunPython(forward, backward)]
