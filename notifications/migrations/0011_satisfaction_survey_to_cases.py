# SatisfactionSurvey is cases' now (cases 0010); its table is kept as it is.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0010_authorization_reply_address_to_accounts"),
        ("cases", "0010_satisfaction_survey_from_notifications"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SatisfactionSurvey")],
            database_operations=[],
        ),
    ]
