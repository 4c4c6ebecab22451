"""The inbound log's models moved from ``notifications`` to ``inbound`` by state only: a database
migrated as before the move keeps its rows, and the permissions granted on them, after migrating on."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inbound.models import InboundAutoReply, InboundEmail

# The last migrations before the move: notifications still held the inbound models, and no
# inbound migration was applied.
BEFORE_THE_MOVE = [("notifications", "0008_inbound_new_cases"), ("inbound", None)]
RECEIVED = datetime(2026, 11, 2, 8, 30, tzinfo=UTC)


def _migrate(targets):
    """Migrate to ``targets``; answers the models as they were there."""
    executor = MigrationExecutor(connection)  # a fresh loader: what is applied now, read from the database
    executor.migrate(targets)
    return executor.loader.project_state([node for node in targets if node[1] is not None]).apps


def _leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


# PostgreSQL runs migrations inside the test's transaction (transactional DDL), which rolls them back
# with everything else: no flush, and the next test finds the database as it was.
@pytest.mark.postgres
@pytest.mark.django_db
def test_a_database_from_before_the_move_keeps_its_rows_and_permissions():
    old = _migrate(BEFORE_THE_MOVE)
    logged = old.get_model("notifications", "InboundEmail").objects.create(
        sender="someone@example.com", outcome="refused", reason="sender_unknown", received_at=RECEIVED
    )
    old.get_model("notifications", "InboundAutoReply").objects.create(
        address="someone@example.com", last_sent_at=RECEIVED, last_reason="inbound_no_access"
    )
    auditors = Group.objects.create(name="Inbound auditors")
    auditors.permissions.add(
        Permission.objects.get(content_type__app_label="notifications", codename="view_inboundemail")
    )

    _migrate(_leaves())

    assert InboundEmail.objects.get(pk=logged.pk).sender == "someone@example.com"
    assert InboundAutoReply.objects.get().address == "someone@example.com"
    assert list(auditors.permissions.values_list("content_type__app_label", "codename")) == [
        ("inbound", "view_inboundemail")
    ]
    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    assert {InboundEmail._meta.db_table, InboundAutoReply._meta.db_table} <= tables
    assert "inbound_inboundemail" not in tables  # the move created no table and copied nothing


@pytest.mark.django_db
def test_the_models_and_the_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)  # SystemExit(1) on a change
