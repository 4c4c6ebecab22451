from django.conf import settings
from django.db import migrations, models
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat

import notifications.models


def backfill_message_ids(apps, schema_editor):
    """Rows written before Message-IDs existed get one derived from their id (stable, unique)."""
    Notification = apps.get_model("notifications", "Notification")
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN
    Notification.objects.filter(message_id__isnull=True).update(
        message_id=Concat(Value("<"), Cast("id", CharField()), Value(f".legacy.outbox@{domain}>"))
    )


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_metrics_and_retention_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="message_id",
            field=models.CharField(max_length=255, null=True, editable=False),
        ),
        migrations.RunPython(backfill_message_ids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="notification",
            name="message_id",
            field=models.CharField(
                default=notifications.models.new_message_id, editable=False, max_length=255, unique=True
            ),
        ),
    ]
