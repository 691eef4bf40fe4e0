"""The records an export's file holds, kept as their ids (`ExportRecords`), and read back.

The ids are packed 16 bytes each into one value per export. On PostgreSQL the statement that
selects the rows packs them and a subquery unpacks them, so that a million ids never pass
through Python; elsewhere Python packs them, and SQLite unpacks them with a recursive query.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL

from ..models import Export, ExportRecords

TABLE = connection.ops.quote_name(ExportRecords._meta.db_table)
ID_BYTES = 16


def packed(ref: str) -> str:
    """PostgreSQL: the aggregate packing the ids `ref` of a group of rows (none: no bytes)."""
    return f"COALESCE(string_agg(uuid_send({ref}), ''::bytea), ''::bytea)"


def keep_sql(export: Export, ref: str, source: str) -> tuple[str, list]:
    """PostgreSQL: the INSERT keeping the ids `ref` of the rows of `source` (SQL) for
    `export`, and its parameter."""
    return (f"INSERT INTO {TABLE} (export_id, ids) SELECT %s, {packed(ref)} FROM {source}",  # noqa: S608
            [_export_id(export)])


def keep(export: Export, queryset: QuerySet) -> int:
    """Keep the ids of the records `queryset` holds now, in place of any kept before for
    `export`; returns how many."""
    forget(export)
    ids = queryset.order_by().annotate(kept_id=F("pk")).values("kept_id")
    if connection.vendor != "postgresql":
        blob = b"".join(pk.bytes for pk in ids.values_list("kept_id", flat=True)
                        .iterator(chunk_size=5000))
        ExportRecords.objects.create(export=export, ids=blob)
        return len(blob) // ID_BYTES
    sql, params = ids.query.sql_with_params()
    statement, before = keep_sql(export, "kept.kept_id", f"({sql}) kept")
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} RETURNING length(ids)", [*before, *params])
        return cursor.fetchone()[0] // ID_BYTES


def forget(export: Export) -> None:
    ExportRecords.objects.filter(export=export).delete()


def ids(export: Export) -> RawSQL:
    """The ids kept for `export`, as a subquery (for `pk__in`)."""
    if connection.vendor == "postgresql":
        sql = (f"SELECT encode(substring(k.ids FROM i * {ID_BYTES} + 1 FOR {ID_BYTES}), "  # noqa: S608
               f"'hex')::uuid AS kept_id FROM {TABLE} k, "
               f"generate_series(0, length(k.ids) / {ID_BYTES} - 1) i WHERE k.export_id = %s")
        params = [_export_id(export)]
    else:
        # SQLite keeps a UUID as its 32 hex digits in lower case.
        sql = (f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < "  # noqa: S608
               f"(SELECT length(ids) / {ID_BYTES} FROM {TABLE} WHERE export_id = %s)) "
               f"SELECT lower(hex(substr(k.ids, i * {ID_BYTES} + 1, {ID_BYTES}))) AS kept_id "
               f"FROM {TABLE} k, n WHERE k.export_id = %s AND length(k.ids) > 0")
        params = [_export_id(export)] * 2
    # The SQL is this module's own; the export's id is a parameter.
    return RawSQL(sql, params)  # noqa: S611


def all_seen(export: Export, seen: QuerySet) -> bool:
    """Whether every record kept for `export` is among `seen` (and some were kept)."""
    kept = ids(export)
    if not ExportRecords.objects.filter(export=export).exists():
        return False
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(DISTINCT x.kept_id) FROM ({kept.sql}) x", kept.params)  # noqa: S608
        (held,) = cursor.fetchone()
    return seen.filter(pk__in=kept).count() == held


def _export_id(export: Export):
    return Export._meta.pk.get_db_prep_value(export.pk, connection)
