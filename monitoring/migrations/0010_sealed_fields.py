from django.db import migrations

import cases.models.sealed


class Migration(migrations.Migration):

    dependencies = [
        ("monitoring", "0009_seal_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name='checkreport',
            name='allegations',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=10000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='condition',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=10000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='family_contact',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='legal_status',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='narrative',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=50000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='refusal_reason',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='checkreport',
            name='trial_observations',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=20000),
        ),
        migrations.AlterField(
            model_name='finding',
            name='evidence_summary',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=20000),
        ),
        migrations.AlterField(
            model_name='findingcomment',
            name='text',
            field=cases.models.sealed.SealedTextField(max_length=10000),
        ),
        migrations.AlterField(
            model_name='followup',
            name='note',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
    ]
