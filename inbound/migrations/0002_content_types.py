# The moved models' content types follow them to the ``inbound`` app, so the permissions granted on
# them (and the admin's history of them) stay attached: the rows are relabelled, never recreated.

from django.db import migrations

from core.model_moves import content_types_move


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("inbound", "0001_initial"),
        ("notifications", "0009_inbound_models_moved"),
    ]

    operations = [
        content_types_move(
            models=["inboundemail", "inboundautoreply"], source="notifications", target="inbound"
        )
    ]
