from django.conf import settings
from django.db import migrations, models

import notifications.models


def backfill_message_ids(apps, schema_editor):
    """Rows written before Message-IDs existed get one derived from their id (stable, unique)."""
    Notification = apps.get_model("notifications", "Notification")
    domain = settings.EMAIL_MESSAGE_ID_DOMAIN
    for pk in Notification.objects.filter(message_id__isnull=True).values_list("pk", flat=True).iterator():
        Notification.objects.filter(pk=pk).update(message_id=f"<{pk}.legacy.outbox@{domain}>")


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
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
