"""The records an export's file holds, kept as their ids (`ExportRecords`), and read back.

The ids are packed 16 bytes each into one value per export. On PostgreSQL the statement that
selects the rows packs them and a subquery unpacks them, so that a million ids never pass
through Python; elsewhere Python packs them, and SQLite unpacks them with a recursive query.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length

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


def ids(export: Export, count: int | None = None) -> RawSQL:
    """The ids kept for `export`, as a subquery (for `pk__in`); `count`: how many, if known."""
    if connection.vendor == "postgresql":
        if count is None:
            count = held(export) or 0
        # The value is read whole once (`||` makes a copy of it): each slice of a stored value
        # would be a read of its own. The series has a constant end, so that the planner
        # knows how many ids there are (and joins a million by hashing them, not by a million
        # index probes).
        sql = (f"WITH d AS MATERIALIZED (SELECT ids || ''::bytea AS b FROM {TABLE} "  # noqa: S608
               "WHERE export_id = %s), "
               f"k AS MATERIALIZED (SELECT encode(substring(d.b FROM i * {ID_BYTES} + 1 "
               f"FOR {ID_BYTES}), 'hex')::uuid AS kept_id FROM d, generate_series(0, %s) i) "
               "SELECT kept_id FROM k")
        params = [_export_id(export), count - 1]
    else:
        # SQLite keeps a UUID as its 32 hex digits in lower case.
        sql = (f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < "  # noqa: S608
               f"(SELECT length(ids) / {ID_BYTES} FROM {TABLE} WHERE export_id = %s)) "
               f"SELECT lower(hex(substr(k.ids, i * {ID_BYTES} + 1, {ID_BYTES}))) AS kept_id "
               f"FROM {TABLE} k, n WHERE k.export_id = %s AND length(k.ids) > 0")
        params = [_export_id(export)] * 2
    # The SQL is this module's own; the export's id is a parameter.
    return RawSQL(sql, params)  # noqa: S611


def held(export: Export) -> int | None:
    """How many ids were kept for `export` (a repeated one each time); None if none were."""
    length = ExportRecords.objects.filter(export=export).values_list(
        Length("ids"), flat=True).first()
    return None if length is None else length // ID_BYTES


def all_seen(export: Export, seen: QuerySet) -> bool:
    """Whether every record kept for `export` is among `seen` (and the ids were kept). The
    kept ids found among `seen` are counted by a semi-join, which hashes a million ids where
    an anti-join (NOT IN, NOT EXISTS) would probe `seen` once per id."""
    count = held(export)
    if count is None:
        return False
    kept = ids(export, count)
    seen_sql, seen_params = seen.order_by().annotate(seen_id=F("pk")).values("seen_id") \
        .query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({kept.sql}) k WHERE k.kept_id IN ({seen_sql})",  # noqa: S608
                       [*kept.params, *seen_params])
        return cursor.fetchone()[0] == count


def _export_id(export: Export):
    return Export._meta.pk.get_db_prep_value(export.pk, connection)
