"""Indexes no query needs, each one more write per row the sweep inserts or updates: the
foreign-key indexes of follow-ups' case and assignee and of notifications' recipient (composite
indexes that start with them serve their lookups), and the LIKE index Django adds to a unique
field (the once-only key becomes a unique constraint, added before the field's own goes, so
the key is never without one)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The names Django gave them (the same on every database).
FOREIGN_KEY_INDEXES = [
    ("monitoring_notification_recipient_id_4bfc1755", "monitoring_notification", "recipient_id"),
    ("monitoring_followup_assignee_id_b2269eb3", "monitoring_followup", "assignee_id"),
    ("monitoring_followup_case_id_03ecc5d9", "monitoring_followup", "case_id"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0024_cell_keys_audit_action"),
        ("monitoring", "0018_record_keys"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(fields=("dedup_key",), name="notification_once"),
        ),
        migrations.AlterField(
            model_name="notification",
            name="dedup_key",
            field=models.CharField(max_length=200),
        ),
        # Only the index goes: the foreign keys stay as they are, not dropped and validated
        # again over every row.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="notification",
                    name="recipient",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="notifications",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="followup",
                    name="assignee",
                    field=models.ForeignKey(blank=True, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.SET_NULL,
                                            related_name="follow_ups",
                                            to=settings.AUTH_USER_MODEL),
                ),
                migrations.AlterField(
                    model_name="followup",
                    name="case",
                    field=models.ForeignKey(db_index=False,
                                            on_delete=django.db.models.deletion.CASCADE,
                                            related_name="follow_ups", to="cases.case"),
                ),
            ],
            database_operations=[
                migrations.RunSQL(f'DROP INDEX IF EXISTS "{name}"',
                                  reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")')
                for name, table, column in FOREIGN_KEY_INDEXES
            ],
        ),
    ]
