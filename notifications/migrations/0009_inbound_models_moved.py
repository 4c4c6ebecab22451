# InboundEmail and InboundAutoReply now belong to the ``inbound`` app (``inbound.0001``), which
# keeps their tables: they leave this app's state only, nothing is dropped.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0008_inbound_new_cases"),
        ("inbound", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="InboundAutoReply"),
                migrations.DeleteModel(name="InboundEmail"),
            ],
        ),
    ]
