# The model moves from notifications (its table stays where it is: only Django's state changes).

import cases.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from core.model_moves import content_types_move


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0009_workspace"),
        ("notifications", "0010_authorization_reply_address_to_accounts"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SatisfactionSurvey",
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
                                default=cases.models.survey_token_new,
                                editable=False,
                                max_length=64,
                                unique=True,
                            ),
                        ),
                        (
                            "rating",
                            models.CharField(
                                blank=True, choices=[("good", "Good"), ("bad", "Bad")], max_length=4
                            ),
                        ),
                        ("comment", models.TextField(blank=True)),
                        ("answered_at", models.DateTimeField(blank=True, null=True)),
                        ("created_at", models.DateTimeField()),
                        (
                            "case",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="surveys",
                                to="cases.case",
                            ),
                        ),
                        (
                            "respondent",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "db_table": "notifications_satisfactionsurvey",
                        "indexes": [
                            models.Index(
                                condition=models.Q(("answered_at__isnull", False)),
                                fields=["answered_at"],
                                include=("case", "rating"),
                                name="survey_answered_time",
                            ),
                            models.Index(
                                fields=["created_at"], include=("case", "rating"), name="survey_sent_time"
                            ),
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("case", "created_at"), name="one_survey_per_closing"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(models=["satisfactionsurvey"], source="notifications", target="cases"),
    ]
