from django.db import migrations

import cases.models.record_keys


def fill(apps, schema_editor):
    cases.models.record_keys.fill_record_keys(
        apps.get_model("cases", "Case"), using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0022_list_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="case",
            name="record_key",
            field=cases.models.record_keys.RecordKeyField(editable=False),
        ),
    ]
