# Exports and the records they hold move from monitoring to reporting. Their tables keep
# their names (`db_table`): the database is left as it is, only the migration state moves, and
# the content types follow so that permissions stay attached.

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import reporting.models

MODELS = ("export", "exportrow")


def move_content_types(apps, schema_editor, source="monitoring", target="reporting"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    db = schema_editor.connection.alias
    taken = set(ContentType.objects.using(db).filter(
        app_label=target, model__in=MODELS).values_list("model", flat=True))
    ContentType.objects.using(db).filter(app_label=source, model__in=MODELS).exclude(
        model__in=taken).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="reporting", target="monitoring")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('cases', '0010_invitation'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('monitoring', '0006_export_rows'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Export',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(choices=[('cases', 'Cases'), ('follow_ups', 'Follow-ups'), ('findings', 'Findings'), ('compliance', 'Compliance record')], max_length=20)),
                        ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'XLSX'), ('json', 'JSON'), ('pdf', 'PDF')], max_length=10)),
                        ('filters', models.JSONField(blank=True, default=dict)),
                        ('include_identifiers', models.BooleanField(default=False)),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('ready', 'Ready'), ('failed', 'Failed'), ('expired', 'Expired'), ('withdrawn', 'Withdrawn')], default='queued', max_length=10)),
                        ('progress', models.PositiveSmallIntegerField(default=0)),
                        ('row_count', models.PositiveIntegerField(blank=True, null=True)),
                        ('tlp', models.CharField(choices=[('clear', 'TLP:CLEAR'), ('green', 'TLP:GREEN'), ('amber', 'TLP:AMBER'), ('amber_strict', 'TLP:AMBER+STRICT'), ('red', 'TLP:RED')], default='amber', max_length=20, verbose_name='TLP label')),
                        ('file', models.FileField(blank=True, max_length=300, upload_to=reporting.models.export_path)),
                        ('size', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('sha256', models.CharField(blank=True, db_index=True, max_length=64)),
                        ('rows_recorded', models.BooleanField(default=False)),
                        ('error', models.TextField(blank=True, max_length=2000)),
                        ('attempts', models.PositiveSmallIntegerField(default=0)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('expires_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.organisation')),
                        ('requester', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='exports', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'monitoring_export',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.CreateModel(
                    name='ExportRow',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('record_id', models.UUIDField()),
                        ('export', models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='reporting.export')),
                    ],
                    options={
                        'db_table': 'monitoring_exportrow',
                    },
                ),
                migrations.AddIndex(
                    model_name='export',
                    index=models.Index(fields=['organisation', '-created_at'], name='monitoring__organis_345707_idx'),
                ),
                migrations.AddConstraint(
                    model_name='export',
                    constraint=models.CheckConstraint(condition=models.Q(('progress__lte', 100)), name='export_progress_at_most_100'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
