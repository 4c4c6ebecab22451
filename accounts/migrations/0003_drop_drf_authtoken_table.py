# API tokens moved from DRF's authtoken app (keys stored in the clear) to django-rest-knox (digests).
# Nothing reads the old table any more; dropping it keeps those keys out of the database and its backups.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_companies_partners_memberships"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token", reverse_sql=migrations.RunSQL.noop),
    ]
