"""Each case's first check with access, for the compliance record: an index of the checks with
access alone, by case and moment, so that the record reads each case's first one off it."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0024_cell_keys_audit_action"),
        ("monitoring", "0020_follow_up_fillfactor"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="checkreport",
            index=models.Index(
                condition=models.Q(("access", "granted")),
                fields=["case", "checked_at"],
                name="checkreport_granted",
            ),
        ),
    ]
