# The model moves from notifications (its table stays where it is: only Django's state changes).

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.models


def _content_type_relabel(old: str, new: str):  # type: ignore[no-untyped-def]
    """Keep the model's content type (and any permission given on it) under its new app label."""

    def relabel(apps, schema_editor):  # type: ignore[no-untyped-def]
        content_types = apps.get_model("contenttypes", "ContentType").objects
        if not content_types.filter(app_label=new, model="authorizationreplyaddress").exists():
            content_types.filter(app_label=old, model="authorizationreplyaddress").update(app_label=new)

    return relabel


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
        migrations.RunPython(
            _content_type_relabel("notifications", "accounts"),
            _content_type_relabel("accounts", "notifications"),
        ),
    ]
