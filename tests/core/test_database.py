"""PostgreSQL connections use prepared statements (config/settings.py, DB_PREPARED_STATEMENTS)."""

import pytest
from django.db import connection

from cases.models import Case

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_repeated_query_is_prepared_once_and_then_reused():
    connection.ensure_connection()
    threshold = connection.connection.prepare_threshold
    assert threshold == 5  # settings' default: psycopg prepares a query on its sixth execution

    def prepared_statements() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements")
            return cursor.fetchone()[0]

    before = prepared_statements()
    for pk in range(threshold + 3):  # the same statement text, different parameters
        Case.objects.filter(pk=pk + 1).first()
    assert prepared_statements() == before + 1
