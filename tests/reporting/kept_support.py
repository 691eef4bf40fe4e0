"""The ids an export kept, read back through the subquery the product reads them with."""

from __future__ import annotations

import uuid

from django.db import connection

from reporting.exports import kept


def kept_ids(export) -> list[uuid.UUID]:
    """The ids kept for `export`, in the order kept (a repeated id repeated)."""
    subquery = kept.ids(export)
    with connection.cursor() as cursor:
        cursor.execute(subquery.sql, subquery.params)
        return [value if isinstance(value, uuid.UUID) else uuid.UUID(value)
                for (value,) in cursor.fetchall()]
