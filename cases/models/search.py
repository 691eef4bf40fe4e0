"""Indexes that let a list find a record by any part of its reference."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models.functions import Upper


def reference_trigram_index(name: str) -> GinIndex:
    """A trigram index of the upper-cased reference. On PostgreSQL `reference__icontains`
    compares `UPPER(reference) LIKE UPPER(%s)`: this index answers it without reading every
    row. PostgreSQL only (pg_trgm): its migration creates it there and nowhere else."""
    return GinIndex(OpClass(Upper("reference"), name="gin_trgm_ops"), name=name)
