"""Indexes that let a list find a record by any part of its reference."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models.functions import Upper


class TrigramIndex(GinIndex):
    """A GIN index, which only PostgreSQL builds: on another database (SQLite, the embedded
    default) it is neither created nor dropped, also when a migration rebuilds the table to
    alter one of its columns (SQLite's way), where the models' state would otherwise create
    it."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return ""
        return super().remove_sql(model, schema_editor, **kwargs)


def reference_trigram_index(name: str) -> TrigramIndex:
    """A trigram index of the upper-cased reference. On PostgreSQL `reference__icontains`
    compares `UPPER(reference) LIKE UPPER(%s)`: this index answers it without reading every
    row. PostgreSQL only (pg_trgm): its migration creates it there and nowhere else."""
    return TrigramIndex(OpClass(Upper("reference"), name="gin_trgm_ops"), name=name)
