# Exports and the records they hold now belong to reporting (its 0001): they leave
# monitoring's migration state only, their tables staying as they are. A notification of an
# export points at reporting's model, over the same column and table.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0006_export_rows'),
        ('reporting', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='notification',
                    name='export',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reporting.export'),
                ),
                migrations.DeleteModel(
                    name='ExportRow',
                ),
                migrations.DeleteModel(
                    name='Export',
                ),
            ],
            database_operations=[],
        ),
    ]
