# The inbound log's models, moved here from ``notifications`` by state only: their tables keep their
# names and rows (``db_table``), and ``notifications.0009`` drops them from that app's state after this.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0009_workspace"),
        ("notifications", "0008_inbound_new_cases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="InboundAutoReply",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("address", models.CharField(help_text="Lower-cased.", max_length=320, unique=True)),
                        ("last_sent_at", models.DateTimeField(db_index=True)),
                        ("last_reason", models.CharField(max_length=60)),
                        ("sent_count", models.PositiveIntegerField(default=1)),
                    ],
                    options={
                        "verbose_name": "inbound automatic answer",
                        "db_table": "notifications_inboundautoreply",
                    },
                ),
                migrations.CreateModel(
                    name="InboundEmail",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("sender", models.CharField(max_length=320)),
                        ("recipient", models.CharField(blank=True, max_length=320)),
                        ("subject", models.CharField(blank=True, max_length=500)),
                        (
                            "outcome",
                            models.CharField(
                                choices=[
                                    ("opened", "Opened a case"),
                                    ("commented", "Added as a case comment"),
                                    ("decided", "Decided an authorisation request"),
                                    ("refused", "Refused"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("reason", models.TextField(blank=True)),
                        (
                            "source",
                            models.CharField(
                                blank=True,
                                help_text="What it arrived through: json, mime, command, anymail:<provider>.",
                                max_length=40,
                            ),
                        ),
                        (
                            "authentication",
                            models.CharField(
                                blank=True,
                                help_text="Why the sender counted as authenticated, or not.",
                                max_length=500,
                            ),
                        ),
                        ("received_at", models.DateTimeField()),
                        (
                            "case",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="+",
                                to="cases.case",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "notifications_inboundemail",
                        "ordering": ["-received_at"],
                        "indexes": [models.Index(fields=["received_at"], name="inbound_received")],
                    },
                ),
            ],
        ),
    ]
