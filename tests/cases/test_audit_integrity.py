"""The audit log cannot be wiped unnoticed: the databases refuse it, and what a table owner does
anyway shows against the checkpoints the reminder sweep writes out of the database."""

from __future__ import annotations

import datetime
import io
import sqlite3
import threading

import psycopg
import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from cases import audit
from cases.audit import verify_chain
from cases.audit_checkpoints import (
    FILE_NAME,
    Checkpoint,
    append_line,
    checkpoint_file,
    last_checkpoint,
    write_checkpoint,
)
from cases.models import AuditChainHead, AuditEvent
from monitoring.tasks import sweep_task

from ..conftest import audit_log_writable

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


@pytest.fixture
def nine(world):
    """Nine events, and the sweep's checkpoint of them."""
    append(world, 9)
    checkpoint = write_checkpoint()
    assert checkpoint is not None
    assert (checkpoint.seq, checkpoint.hash) == (9, AuditEvent.objects.get(seq=9).hash)
    return checkpoint


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
        # Every app forward again: going back also undid other apps' migrations that depend on
        # the cases ones (monitoring's), which later tests on this database need.
        call_command("migrate", verbosity=0)
    assert _audit_triggers() >= added


# --- checkpoints out of the database ----------------------------------------------------------


def test_a_grown_chain_passes_against_its_checkpoint(world, nine):
    append(world, 3)

    report = verify_chain()

    assert report.ok, report
    assert report.checked == 12
    assert report.checkpoint == nine


@postgresql_only
def test_a_truncated_log_is_reported_against_the_checkpoint(nine):
    # Through the test connection's escape: a tamperer who lifted the triggers does the same.
    raw("TRUNCATE cases_auditevent, cases_auditchainhead")

    report = verify_chain()

    assert not report.ok
    assert (report.broken_seq, report.checked) == (1, 0)
    assert report.reason == (
        f"the log is empty, but the checkpoint of {nine.at:%Y-%m-%d %H:%M:%S} UTC records "
        "event #9: events were removed"
    )


@sqlite_only
def test_a_log_deleted_through_the_escape_is_reported_against_the_checkpoint(nine, settings):
    assert settings.AUDIT_LOG_WIPE_ALLOWED  # the test settings' escape, as Django's flush uses
    raw("DELETE FROM cases_auditevent")
    raw("DELETE FROM cases_auditchainhead")

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq == 1
    assert "the log is empty" in report.reason
    assert "events were removed" in report.reason


def test_a_shortened_chain_with_its_head_rewound_is_reported(nine):
    with audit_log_writable():
        raw("DELETE FROM cases_auditevent WHERE seq > 6")
        raw("UPDATE cases_auditchainhead SET last_seq = 6, last_hash = %s",
            [AuditEvent.objects.get(seq=6).hash])

    report = verify_chain()

    assert not report.ok
    assert (report.broken_seq, report.checked) == (7, 6)
    assert report.reason.startswith("the log ends at #6, but the checkpoint of ")
    assert report.checkpoint == nine


def test_a_chain_rewritten_from_the_start_is_reported_at_the_checkpoint(world, nine):
    with audit_log_writable():
        raw("DELETE FROM cases_auditevent")
        raw("DELETE FROM cases_auditchainhead")
    # A new chain, sound link by link and longer than the old one.
    append(world, 11)
    assert AuditEvent.objects.get(seq=9).hash != nine.hash

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq == 9
    assert report.reason.startswith("its hash differs from the checkpoint of ")
    assert report.reason.endswith(": the log was rewritten")


def test_without_a_checkpoint_the_chain_alone_is_checked(world, audit_checkpoint_dir):
    append(world, 2)
    report = verify_chain()
    assert report.ok
    assert report.checkpoint is None
    assert not audit_checkpoint_dir.exists()


def test_the_last_checkpoint_is_the_one_checked(world, nine):
    append(world, 2)
    later = write_checkpoint()
    assert later.seq == 11
    with audit_log_writable():
        raw("DELETE FROM cases_auditevent WHERE seq = 11")
        raw("UPDATE cases_auditchainhead SET last_seq = 10, last_hash = %s",
            [AuditEvent.objects.get(seq=10).hash])

    report = verify_chain()

    assert not report.ok
    assert report.checkpoint == later
    assert "records event #11" in report.reason


def test_a_damaged_last_checkpoint_is_reported(world, nine):
    with checkpoint_file().open("ab") as file:
        file.write(b'{"seq": "nine"}\n')

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq is None
    assert report.reason.startswith(f"the last checkpoint in {checkpoint_file()} cannot be read")


def test_a_write_cut_short_leaves_the_checkpoint_before_it(world, nine):
    with checkpoint_file().open("ab") as file:
        file.write(b'{"seq":12,"ha')

    assert last_checkpoint() == nine
    assert verify_chain().ok


def test_checkpoints_are_appended_never_rewritten(world, audit_checkpoint_dir):
    moments = [datetime.datetime(2026, 5, day, 8, tzinfo=datetime.UTC) for day in (1, 2, 3)]
    written = []
    for moment in moments:
        append(world, 2)
        before = checkpoint_file().read_bytes() if checkpoint_file().exists() else b""
        written.append(write_checkpoint(now=moment))
        after = checkpoint_file().read_bytes()
        assert after.startswith(before)
        assert after[len(before):] == written[-1].line()

    assert [(c.seq, c.at) for c in written] == [(2, moments[0]), (4, moments[1]),
                                                (6, moments[2])]
    assert checkpoint_file() == audit_checkpoint_dir / FILE_NAME
    lines = checkpoint_file().read_bytes().splitlines(keepends=True)
    assert [Checkpoint.parse(line) for line in lines] == written


def test_concurrent_appends_keep_every_line_whole(tmp_path):
    path = tmp_path / FILE_NAME
    lines = {(w, n): Checkpoint(seq=w * 1000 + n, hash=f"{w:x}" * 64,
                                at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)).line()
             for w in range(8) for n in range(100)}
    start = threading.Barrier(8)

    def writer(w: int) -> None:
        start.wait()
        for n in range(100):
            append_line(path, lines[(w, n)])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(path.read_bytes().splitlines(keepends=True)) == sorted(lines.values())


def test_the_sweep_task_and_command_each_write_a_checkpoint(world, audit_checkpoint_dir):
    append(world, 4)
    result = sweep_task.apply().get()
    assert result["audit_checkpoint"] == 4
    append(world, 1)
    out = io.StringIO()
    call_command("monitoring_sweep", stdout=out)
    assert "audit checkpoint #5" in out.getvalue()

    lines = checkpoint_file().read_bytes().splitlines(keepends=True)
    head = AuditChainHead.objects.get(pk=1)
    assert [(c.seq, c.hash) for c in map(Checkpoint.parse, lines)] == [
        (4, AuditEvent.objects.get(seq=4).hash), (5, head.last_hash)]


def test_a_folder_that_cannot_be_written_does_not_stop_the_sweep(world, settings, tmp_path,
                                                                   caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    settings.AUDIT_CHECKPOINT_DIR = str(blocker / "audit-checkpoints")
    append(world, 1)

    result = sweep_task.apply().get()

    assert result["audit_checkpoint"] is None
    assert "audit checkpoint of event #1 not written" in caplog.text
