"""Room in each page of follow-ups for their next version: the sweep marks thousands of them
at once (the alert stage reached), and an update whose new version fits in the same page, of
columns no index holds, leaves the table's fourteen indexes untouched (PostgreSQL's
heap-only tuples). New pages are filled to 85 %; the rows already stored are left where they
are until they are next written. Nothing to do on SQLite."""

from django.db import migrations


def fill_factor(percent: int):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE monitoring_followup SET (fillfactor = {int(percent)})")
    return apply


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0019_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(fill_factor(85), fill_factor(100), elidable=False),
    ]
