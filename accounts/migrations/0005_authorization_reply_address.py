# The model moves from notifications (its table stays where it is: only Django's state changes).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.model_moves import content_types_move

import accounts.models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_company_subdivision"),
        ("notifications", "0008_inbound_new_cases"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuthorizationReplyAddress",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        (
                            "token",
                            models.CharField(
                                default=accounts.models.authorization_reply_token_new,
                                editable=False,
                                max_length=40,
                                unique=True,
                            ),
                        ),
                        ("created_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                        (
                            "manager",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "request",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="accounts.authorizationrequest",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "notifications_authorizationreplyaddress",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("request", "manager"), name="one_reply_address_per_manager"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(models=["authorizationreplyaddress"], source="notifications", target="accounts"),
    ]
