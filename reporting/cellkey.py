"""The cell-key method: a small perturbation of each count the compliance record publishes, the
same whichever query produced the cell, so that no hidden cell is recovered by subtraction.

Without it, a cell of fewer than three cases hidden in one table is the difference of two
others: "no torture, all states" minus "no torture, China" is the rest of the states. With it,
as in the table builders of national statistical offices:

- every record (a case, a check report, a finding) has a record key: a 32-bit number from a
  keyed hash of its id under `CELL_KEY_SECRET`, so no caller can compute it;
- a count's cell key is the sum of the keys of the records it counts, modulo 2**32: the same
  records give the same key, and so the same count, in every grouping, filter and format;
  one record more or less gives an unrelated key;
- the cell key picks the perturbation from the table below by the true count.

A published count is at most two away from the true one; the differences of two tables hold
the noise of both, so a hidden cell can no longer be told from them. Counts of zero stay zero
and positive counts stay positive: an outcome that was found is never published as absent.
"""

from __future__ import annotations

from bisect import bisect_right
from itertools import accumulate

from django.db import transaction

from cases import audit
from cases.models import Case
from cases.models.record_keys import fill_record_keys, record_key
from monitoring.models import CheckReport, Finding

# The method in one line, for the manifests of the record's files.
METHOD = ("cell-key perturbation: each count moved by at most 2, the same for the same "
          "records in every table; a cell of fewer than 3 cases shown as <3")
KEY_SPACE = 2**32
MAX_PERTURBATION = 2

# Perturbation and its probability, by true count (every count from three up uses the last
# row: mean 0, variance 1.2). Below three a count cannot fall under one, so its rows lean up.
P_TABLE = {
    1: ((0, 0.6), (1, 0.25), (2, 0.15)),
    2: ((-1, 0.25), (0, 0.4), (1, 0.2), (2, 0.15)),
    3: ((-2, 0.1), (-1, 0.2), (0, 0.4), (1, 0.2), (2, 0.1)),
}
# The same table as bounds in the key space: row n's perturbation is the one whose bound is the
# first above the cell key.
_BOUNDS = {
    n: ([round(p * KEY_SPACE) for p in accumulate(p for _, p in row)][:-1],
        [d for d, _ in row])
    for n, row in P_TABLE.items()
}


def perturbation(count: int, cell_key: int) -> int:
    """What the cell key adds to a true count of `count` (zero for zero)."""
    if count <= 0:
        return 0
    bounds, steps = _BOUNDS[min(count, len(P_TABLE))]
    return steps[bisect_right(bounds, cell_key)]


def published(count: int, cell_key: int) -> int:
    """The count as published: the true one plus its cell key's perturbation."""
    return count + perturbation(count, cell_key)


class RecordKeys(dict):
    """Record keys by record id (as text, with or without hyphens), each hashed once: the keys
    the records keep (`cases.models.record_keys`), derived again under `secret`."""

    def __init__(self, secret: str | None = None):
        super().__init__()
        self._secret = secret

    def __missing__(self, record_id: str) -> int:
        self[record_id] = key = record_key(record_id, self._secret)
        return key

    def cell_key(self, record_ids) -> int:
        """The key of a cell counting `record_ids`: the sum of their keys in the key space."""
        return sum(map(self.__getitem__, record_ids)) % KEY_SPACE

    def published(self, record_ids) -> int:
        """The published count of the distinct records `record_ids` (a set)."""
        return published(len(record_ids), self.cell_key(record_ids))


def rebuild_record_keys() -> dict[str, int]:
    """Derive every record key again under the current `CELL_KEY_SECRET`, as after it changed:
    in one transaction, so that no record is counted with a key of each secret; returns how
    many records of each kind."""
    with transaction.atomic():
        counts = {model._meta.model_name: fill_record_keys(model, every=True)
                  for model in (Case, CheckReport, Finding)}
        audit.record(None, audit.Action.CELL_KEYS, detail=counts)
    return counts
