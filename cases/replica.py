"""Reads that may go to a read replica: the compliance record's and the risk brief's.

With `REPLICA_DATABASE_URL` set, the settings add a `replica` database and name it in
`DATABASE_REPLICA_ALIAS`; code that only reads, and can bear a replica's lag of a moment,
runs inside `replica_reads()` and its queries go there. Everything else (every write, every
read of a transaction, every read outside the block) stays on `default`, so nothing reads a
replica while it writes. Without a replica the block changes nothing.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

_replica_reads = contextvars.ContextVar("replica_reads", default=False)


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Queries made inside go to the replica, if there is one."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def replica_alias() -> str | None:
    return getattr(settings, "DATABASE_REPLICA_ALIAS", None) or None


class ReplicaRouter:
    """Sends the reads made inside `replica_reads()` to the replica, unless the default
    database is inside a transaction (whose reads must see its own writes)."""

    def db_for_read(self, model, **hints) -> str | None:
        alias = replica_alias()
        if alias and _replica_reads.get() and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return alias
        return None

    def db_for_write(self, model, **hints) -> str | None:
        return None

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # The replica holds the same rows as the default database.
        return True

    def allow_migrate(self, db, app_label, **hints) -> bool | None:
        # A replica follows its primary: it is never migrated by itself.
        return False if db == replica_alias() else None
