"""A row of an import as its fields' values, with its errors; what a pass over the rows found;
the fingerprint of the values a row gives a record."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .fields import Field

ERRORS_KEPT = 500


@dataclass
class Row:
    number: int
    values: dict
    # Field -> message; the row is in error when any is set.
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        return self.values.get("external_reference") or ""


@dataclass
class Outcome:
    counts: Counter = field(default_factory=Counter)
    errors: list[dict] = field(default_factory=list)
    error_count: int = 0
    versions: dict[str, int] = field(default_factory=dict)

    def add_errors(self, row: Row) -> None:
        self.error_count += 1
        self.counts["error"] += 1
        for name, message in row.errors.items():
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append({"row": row.number, "field": name, "message": message})

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def digest(values: dict) -> str:
    """A fingerprint of the values a row gives a record: the same row, the same digest."""
    def plain(value):
        if isinstance(value, list):
            return [plain(v) for v in value]
        return getattr(value, "pk", value)
    text = json.dumps({k: plain(v) for k, v in sorted(values.items())}, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def required_missing(row: Row, fields: dict[str, Field]) -> None:
    for item in fields.values():
        if item.required and item.name not in row.errors and row.values.get(item.name) in (
                None, "", []):
            row.errors[item.name] = _("A new record needs this.")
