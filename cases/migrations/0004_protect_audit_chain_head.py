"""On PostgreSQL the audit chain head can neither be deleted nor moved backwards, so cutting
events off the end of the log cannot be hidden by rewinding the head."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION cases_auditchainhead_forward_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward: % refused', TG_OP;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_auditchainhead_forward_only
    BEFORE UPDATE OR DELETE ON cases_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION cases_auditchainhead_forward_only();
"""

DROP = """
DROP TRIGGER IF EXISTS cases_auditchainhead_forward_only ON cases_auditchainhead;
DROP FUNCTION IF EXISTS cases_auditchainhead_forward_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_audit_append_only")]

    operations = [migrations.RunPython(forwards, backwards)]
