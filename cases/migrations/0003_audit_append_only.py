"""The chain head row, and an append-only audit log: on PostgreSQL a trigger refuses UPDATE and DELETE on it.

SQLite (the embedded development database) gets no trigger: its test runs flush tables with
DELETE, and the hash chain still shows any change there.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cases_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_auditevent_append_only
    BEFORE UPDATE OR DELETE ON cases_auditevent
    FOR EACH ROW EXECUTE FUNCTION cases_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_auditevent_append_only ON cases_auditevent;
DROP FUNCTION IF EXISTS cases_auditevent_append_only();
"""


def forwards(apps, schema_editor):
    # The chain head starts at the genesis hash; writers lock this row to append.
    apps.get_model("cases", "AuditChainHead").objects.get_or_create(pk=1)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_reference_data")]

    operations = [migrations.RunPython(forwards, backwards)]
