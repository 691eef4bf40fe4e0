"""The values stored before identifiers were encrypted, sealed; the name index built.

A migration of its own: PostgreSQL alters no table with writes pending in the transaction."""

from django.db import migrations

from cases.sealing_migration import index_names, seal_rows


def seal_existing(apps, schema_editor):
    index_names(apps)
    seal_rows(apps, "cases", "Subject",
              ["full_name", "other_names", "date_of_birth", "contacts", "notes"], "pk")
    seal_rows(apps, "cases", "Case", ["legal_basis_note", "interpol_reference"], "subject_id")
    seal_rows(apps, "cases", "CaseTransition", ["note"], "case__subject_id")
    seal_rows(apps, "cases", "ProceedingEvent", ["description", "outcome"], "case__subject_id")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0013_sealed_identifiers"),
    ]

    operations = [
        migrations.RunPython(seal_existing, migrations.RunPython.noop, elidable=False),
    ]
