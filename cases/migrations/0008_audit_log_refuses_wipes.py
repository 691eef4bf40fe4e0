"""The audit log cannot be wiped on either database.

PostgreSQL: row triggers (0003, 0004) never see TRUNCATE, so statement triggers refuse it on
the log and on the chain head. SQLite: triggers refuse UPDATE and DELETE of events and any
DELETE or backward move of the chain head.

Django's flush empties every table between transactional tests (TRUNCATE on PostgreSQL, DELETE
on SQLite), so each refusal has one escape that only test connections open: on PostgreSQL the
setting `extradition_monitor.allow_audit_wipe` = 'on', passed as a connection option; on
SQLite the SQL function `extradition_monitor_allow_audit_wipe()`, registered on each of the
application's connections (it answers 1 only when the test settings say so). A connection
without that function, such as the sqlite3 shell, cannot run the triggers and is refused.
"""

from django.db import migrations

POSTGRESQL_CREATE = """
CREATE OR REPLACE FUNCTION cases_audit_truncate_refused() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('extradition_monitor.allow_audit_wipe', true), '') <> 'on' THEN
        RAISE EXCEPTION 'the audit log is append-only: TRUNCATE of % refused', TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_auditevent_no_truncate
    BEFORE TRUNCATE ON cases_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION cases_audit_truncate_refused();
CREATE TRIGGER cases_auditchainhead_no_truncate
    BEFORE TRUNCATE ON cases_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION cases_audit_truncate_refused();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS cases_auditevent_no_truncate ON cases_auditevent;
DROP TRIGGER IF EXISTS cases_auditchainhead_no_truncate ON cases_auditchainhead;
DROP FUNCTION IF EXISTS cases_audit_truncate_refused();
"""

# One statement each: SQLite's driver runs one at a time.
SQLITE_CREATE = [
    """
    CREATE TRIGGER cases_auditevent_no_update BEFORE UPDATE ON cases_auditevent
    WHEN NOT extradition_monitor_allow_audit_wipe()
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER cases_auditevent_no_delete BEFORE DELETE ON cases_auditevent
    WHEN NOT extradition_monitor_allow_audit_wipe()
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only: DELETE refused'); END
    """,
    """
    CREATE TRIGGER cases_auditchainhead_no_delete BEFORE DELETE ON cases_auditchainhead
    WHEN NOT extradition_monitor_allow_audit_wipe()
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: DELETE refused'); END
    """,
    """
    CREATE TRIGGER cases_auditchainhead_forward_only BEFORE UPDATE ON cases_auditchainhead
    WHEN NEW.last_seq < OLD.last_seq AND NOT extradition_monitor_allow_audit_wipe()
    BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward: UPDATE refused'); END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS cases_auditevent_no_update",
    "DROP TRIGGER IF EXISTS cases_auditevent_no_delete",
    "DROP TRIGGER IF EXISTS cases_auditchainhead_no_delete",
    "DROP TRIGGER IF EXISTS cases_auditchainhead_forward_only",
]


def _run(schema_editor, postgresql: str, sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(postgresql, params=None)
    elif vendor == "sqlite":
        for statement in sqlite:
            schema_editor.execute(statement, params=None)


def forwards(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_CREATE, SQLITE_CREATE)


def backwards(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_DROP, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_auditevent_security_actions")]

    operations = [migrations.RunPython(forwards, backwards)]
