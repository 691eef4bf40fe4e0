"""The audit log cannot be wiped: both databases refuse it to every connection but the tests'."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from cases import audit
from cases.audit import verify_chain
from cases.models import AuditChainHead, AuditEvent

postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql",
                                     reason="PostgreSQL's TRUNCATE")
sqlite_only = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers")
AUDIT_TABLES = ("cases_auditevent", "cases_auditchainhead")


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def append(world, count: int) -> None:
    for n in range(count):
        audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, None, detail={"n": n})


# --- the databases refuse ---------------------------------------------------------------------


def _connect_without_the_escape():
    """A connection as any other client makes it: the application's parameters, no options."""
    params = connection.get_connection_params()
    return psycopg.connect(autocommit=True, **{
        key: params[key] for key in ("dbname", "user", "password", "host", "port")
        if params.get(key)})


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("statement", [
    "TRUNCATE cases_auditevent, cases_auditchainhead",
    "TRUNCATE cases_auditevent RESTART IDENTITY CASCADE",
    "TRUNCATE cases_auditchainhead",
])
def test_postgresql_refuses_truncate_on_a_connection_without_the_escape(world, statement):
    append(world, 3)
    with _connect_without_the_escape() as other:
        assert other.execute(
            "SELECT current_setting('extradition_monitor.allow_audit_wipe', true)"
        ).fetchone()[0] in (None, "")
        with pytest.raises(psycopg.errors.RaiseException, match="append-only: TRUNCATE"):
            other.execute(statement)

    assert AuditEvent.objects.count() == 3
    assert AuditChainHead.objects.get(pk=1).last_seq == 3
    assert verify_chain().ok


@postgresql_only
def test_postgresql_refuses_truncate_when_the_escape_is_off(world):
    append(world, 2)
    for table in AUDIT_TABLES:
        with pytest.raises(DatabaseError, match="append-only: TRUNCATE"), transaction.atomic():
            raw("SET LOCAL extradition_monitor.allow_audit_wipe = 'off'")
            raw(f"TRUNCATE {table}")
    assert AuditEvent.objects.count() == 2


@sqlite_only
@pytest.mark.django_db
def test_sqlite_refuses_changes_on_a_connection_without_the_escape(tmp_path):
    """The sqlite3 shell, or any program but the application, lacks the triggers' function."""
    with connection.cursor() as cursor:
        # The audit tables as migrated, tables first, into a file another program opens.
        cursor.execute("SELECT sql FROM sqlite_master WHERE tbl_name IN (%s, %s) AND type IN "
                       "('table', 'trigger') ORDER BY type = 'trigger'", AUDIT_TABLES)
        schema = [sql for (sql,) in cursor.fetchall()]
    other = sqlite3.connect(tmp_path / "copy.sqlite3")
    try:
        for sql in schema:
            other.execute(sql)
        other.execute("INSERT INTO cases_auditchainhead (id, last_seq, last_hash) VALUES "
                      "(1, 0, '')")
        other.execute("INSERT INTO cases_auditevent (seq, at, actor_username, action, "
                      "object_type, object_id, object_repr, changed_fields, detail, request_id, "
                      "prev_hash, hash) VALUES (1, '2026-01-01', '', 'login', '', '', '', '[]', "
                      "'{}', '', '', 'h')")
        other.commit()
        for statement in [
            "UPDATE cases_auditevent SET action = 'export'",
            "DELETE FROM cases_auditevent",
            "DELETE FROM cases_auditchainhead",
            "UPDATE cases_auditchainhead SET last_seq = 0",
        ]:
            with pytest.raises(sqlite3.OperationalError,
                               match="no such function: extradition_monitor_allow_audit_wipe"):
                other.execute(statement)
            other.rollback()
        assert other.execute("SELECT count(*) FROM cases_auditevent").fetchone() == (1,)
    finally:
        other.close()


def _audit_triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgrelid IN "
                           "('cases_auditevent'::regclass, 'cases_auditchainhead'::regclass)")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                           "tbl_name IN ('cases_auditevent', 'cases_auditchainhead')")
        return {name for (name,) in cursor.fetchall()}


REFUSALS_OF_0008 = {
    "postgresql": {"cases_auditevent_no_truncate", "cases_auditchainhead_no_truncate"},
    "sqlite": {"cases_auditevent_no_update", "cases_auditevent_no_delete",
               "cases_auditchainhead_no_delete", "cases_auditchainhead_forward_only"},
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_of_the_refusals_is_reversible():
    added = REFUSALS_OF_0008[connection.vendor]
    assert _audit_triggers() >= added
    try:
        call_command("migrate", "cases", "0007", verbosity=0)
        assert not _audit_triggers() & added
    finally:
        call_command("migrate", "cases", verbosity=0)
    assert _audit_triggers() >= added
