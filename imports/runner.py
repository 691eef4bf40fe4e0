"""An import's two passes over its file: the check, which reads and validates every row as the
services would and writes nothing, and the commit, which does the same and writes, in batches,
all in one transaction: a single error anywhere and nothing is kept.

Rows are read a batch at a time; what is held across batches is the external references seen
(to find a reference given twice) and the first errors, so memory does not grow with the file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, connections, transaction
from django.http import Http404
from django.utils.translation import gettext as _

from cases.exceptions import Conflict

from .children import AssuranceRows, CheckRows, ProceedingRows
from .fields import Field, fields_of
from .kinds import CaseRows
from .reading import Table
from .rows import Outcome, Row
from .values import Invalid, Lookups, read

BATCH = 1000
HANDLERS = {"cases": CaseRows, "assurances": AssuranceRows, "proceedings": ProceedingRows,
            "checks": CheckRows}


class _RolledBack(Exception):
    pass


def mapped_rows(table: Table, mapping: dict[str, str], fields: dict[str, Field],
                lookups: Lookups) -> Iterator[Row]:
    """Each row of the table as the values of the fields its columns are mapped to."""
    columns = [(index, fields[mapping[header]]) for index, header in enumerate(table.headers)
               if mapping.get(header) in fields]
    for number, cells in table.iter_rows():
        row = Row(number, {})
        for index, item in columns:
            cell = cells[index] if index < len(cells) else ""
            try:
                row.values[item.name] = read(item, cell, lookups)
            except Invalid as error:
                row.errors[item.name] = error.message
        yield row


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


class _Progress:
    """Rows done, written where a watcher can read them while the import's own transaction is
    still open: through a connection of its own (on SQLite, which has one writer at a time,
    only outside the commit)."""

    def __init__(self, job, commit: bool):
        self.job, self.commit, self.connection = job, commit, None
        if commit and connection.vendor != "sqlite":
            self.connection = connections.create_connection("default")

    def __call__(self, done: int) -> None:
        if not self.commit:
            type(self.job).objects.filter(pk=self.job.pk).update(rows_done=done)
        elif self.connection is not None:
            try:
                with self.connection.cursor() as cursor:
                    # The table's name is the model's own, never input.
                    table = type(self.job)._meta.db_table
                    cursor.execute(f"UPDATE {table} SET rows_done = %s WHERE id = %s",  # noqa: S608
                                   [done, self.job.pk])
            except DatabaseError:
                pass

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()


def run(job, actor, table: Table, *, commit: bool, on_success=None) -> Outcome:
    """Check (commit=False) or import the rows of `table` for `job`; the outcome either way.
    A commit with any error keeps nothing; one without calls `on_success(outcome)` in its
    transaction."""
    fields = fields_of(job.kind)
    lookups = Lookups.load(job.organisation, job.date_format)
    outcome = Outcome()
    handler = HANDLERS[job.kind](job, actor, lookups, outcome, commit, dict(job.versions or {}))
    seen: dict[str, int] = {}
    progress = _Progress(job, commit)
    done = 0
    # The check writes nothing, so it needs no transaction (and its progress is seen at once).
    try:
        with transaction.atomic() if commit else contextlib.nullcontext():
            for batch in _batches(mapped_rows(table, job.mapping, fields, lookups)):
                for row in batch:
                    _check_reference(row, seen)
                try:
                    handler.batch(batch)
                except (ValidationError, Conflict, PermissionDenied, Http404) as error:
                    _whole_batch_failed(batch, error, outcome)
                done += len(batch)
                progress(done)
            if commit and outcome.ok:
                handler.finish()
                if on_success is not None:
                    on_success(outcome)
            if commit and not outcome.ok:
                raise _RolledBack
    except _RolledBack:
        pass
    finally:
        progress.close()
    return outcome


def _check_reference(row: Row, seen: dict[str, int]) -> None:
    reference = row.reference
    if not reference:
        row.errors.setdefault("external_reference", _("Give each row a reference of yours."))
        return
    if reference in seen:
        row.errors["external_reference"] = _(
            "This reference was given already, on row %(row)d.") % {"row": seen[reference]}
    else:
        seen[reference] = row.number


def _whole_batch_failed(batch: list[Row], error, outcome: Outcome) -> None:
    message = getattr(error, "message", None) or " ".join(
        getattr(error, "messages", [str(error)]))
    for row in batch:
        row.errors.setdefault("row", message)
        outcome.add_errors(row)
