"""Two more indexes no query needs, each one more write per row the sweep inserts or updates:
the one on notifications' export (nothing looks notifications up by their export) and the one
on plans' silence deadline alone (the sweep's lookup is served by the (active, silence_due_at)
index)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0021_first_access_index"),
    ]

    operations = [
        migrations.AlterField(
            model_name="monitoringplan",
            name="silence_due_at",
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name="notification",
            name="export",
            field=models.UUIDField(blank=True, db_column="export_id", null=True),
        ),
    ]
