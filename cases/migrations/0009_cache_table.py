"""The database cache's table (settings.CACHE_TABLE), where throttle and lockout counters live
when there is no Redis. Made by migrate, so that no separate command can be forgotten."""

from django.core.management import call_command
from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "em_cache"


def create_cache_tables(apps, schema_editor):
    alias = schema_editor.connection.alias
    # Always the default table, even while Redis is the cache: it may not stay so.
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(alias, TABLE, dry_run=False)
    # And any other database cache the settings name (CACHE_URL=dbcache://...).
    call_command("createcachetable", database=alias, verbosity=0)


def drop_cache_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0008_audit_log_refuses_wipes"),
    ]

    operations = [
        migrations.RunPython(create_cache_tables, drop_cache_table),
    ]
