"""Record keys: the number each counted record (a case, a check report, a finding) brings to
the cell keys of the compliance record's perturbation (`reporting.cellkey`).

A record key is a 32-bit number from a keyed hash of the record's id under `CELL_KEY_SECRET`,
so no caller can compute it. It is kept on the record, in a column the database can add up:
the record then sums the keys of a cell's cases, checks and findings where it counts them,
instead of reading every finding into Python to hash its ids. The column is filled when the
record is saved or bulk-created; after `CELL_KEY_SECRET` changes, `manage.py rebuild_cell_keys`
derives every key again under the new secret.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.conf import settings
from django.db import connections, models, transaction


@lru_cache(maxsize=8)
def _hash_key(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def record_key(record_id, secret: str | None = None) -> int:
    """The record key of `record_id` (a UUID, or its text with or without hyphens)."""
    key = _hash_key(secret or settings.CELL_KEY_SECRET)
    digest = hashlib.blake2b(str(record_id).replace("-", "").lower().encode(), digest_size=4,
                             key=key, person=b"cell-key").digest()
    return int.from_bytes(digest, "big")


class RecordKeyField(models.BigIntegerField):
    """The record's key, derived from its primary key when it is first written (`save` and
    `bulk_create` alike); never edited."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if value is None and model_instance.pk is not None:
            value = record_key(model_instance.pk)
            setattr(model_instance, self.attname, value)
        return value


def fill_record_keys(model, *, every: bool = False, using: str = "default",
                     batch: int = 5000) -> int:
    """Derive the record keys of `model`'s rows that have none (every row's with `every`, as
    after a change of secret), `batch` rows at a time; returns how many were written."""
    connection = connections[using]
    pk = model._meta.pk
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.get_field("record_key").column)
    rows = model._base_manager.using(using).order_by("pk")
    if not every:
        rows = rows.filter(record_key__isnull=True)
    written, after = 0, None
    while True:
        page = rows.filter(pk__gt=after) if after is not None else rows
        ids = list(page.values_list("pk", flat=True)[:batch])
        if not ids:
            return written
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE {pk.column} = %s",  # noqa: S608
                [(record_key(i), pk.get_db_prep_value(i, connection)) for i in ids],
            )
        written += len(ids)
        after = ids[-1]
