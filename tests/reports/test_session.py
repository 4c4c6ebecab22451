"""The reports' transaction settings on PostgreSQL: JIT off and more work memory, for that transaction only."""

import pytest
from django.db import connection

from reports.selectors import report_queries

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def show(name: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


def test_report_queries_run_without_jit_and_with_more_work_memory():
    before = (show("jit"), show("work_mem"))

    with report_queries():
        inside = (show("jit"), show("work_mem"))

    assert inside == ("off", "64MB")
    assert (show("jit"), show("work_mem")) == before  # SET LOCAL: the connection's own settings are back
