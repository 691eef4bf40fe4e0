from django.db import migrations

import cases.models.sealed


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0014_seal_existing"),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='interpol_reference',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=100, single_line=True),
        ),
        migrations.AlterField(
            model_name='case',
            name='legal_basis_note',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='casetransition',
            name='note',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='proceedingevent',
            name='description',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=20000),
        ),
        migrations.AlterField(
            model_name='proceedingevent',
            name='outcome',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000),
        ),
        migrations.AlterField(
            model_name='subject',
            name='contacts',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=5000, verbose_name='contacts of family and lawyer'),
        ),
        migrations.AlterField(
            model_name='subject',
            name='date_of_birth',
            field=cases.models.sealed.SealedDateField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name='subject',
            name='full_name',
            field=cases.models.sealed.SealedTextField(max_length=300, single_line=True),
        ),
        migrations.AlterField(
            model_name='subject',
            name='notes',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=20000),
        ),
        migrations.AlterField(
            model_name='subject',
            name='other_names',
            field=cases.models.sealed.SealedTextField(blank=True, max_length=2000),
        ),
    ]
