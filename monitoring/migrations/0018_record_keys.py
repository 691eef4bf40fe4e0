from django.db import migrations

import cases.models.record_keys


def fill(apps, schema_editor):
    for name in ("CheckReport", "Finding"):
        cases.models.record_keys.fill_record_keys(
            apps.get_model("monitoring", name), using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0023_case_record_key"),
        ("monitoring", "0017_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="checkreport",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="finding",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="checkreport",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False),
        ),
        migrations.AlterField(
            model_name="finding",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False),
        ),
    ]
