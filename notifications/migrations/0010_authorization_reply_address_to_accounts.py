# AuthorizationReplyAddress is accounts' now (accounts 0005); its table is kept as it is.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0009_inbound_models_moved"),
        ("accounts", "0005_authorization_reply_address"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuthorizationReplyAddress")],
            database_operations=[],
        ),
    ]
