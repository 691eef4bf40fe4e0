"""What an export holds: the rows of the API lists, restricted and filtered the same way.

Each kind names its list's FilterSet, its columns and which columns only the owning
organisation sees, exactly as the API serializers drop them. RED-labelled records never leave
in bulk. Rows are read with `values_list()` in chunks, so memory stays flat however many rows.
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import psycopg
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, F, Func, Q, QuerySet, Value, When
from django.db.models import Case as Choose
from django.db.models.functions import Cast
from django.http import QueryDict
from django.utils.translation import gettext as _

from cases import crypto, keyring, policy
from cases.filters import CaseFilter
from cases.models import Case
from cases.models.sealed import SealedMixin
from cases.models.sharing import TLP, TLP_OPENNESS
from monitoring.filters import FindingFilter, FollowUpFilter
from monitoring.models import Finding, FollowUp

from ..models import Export
from . import kept

Kind = Export.Kind
CHUNK = 5000
# A cell starting with one of these would be read as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    name: str
    source: str
    # all: everyone who sees the row; owner: members of the owning organisation only;
    # identifier: only in an export with identifiers (which holds the owner's rows only).
    shown: str = "all"
    # With shown="owner": a boolean column that opens the cell to recipients too.
    unless: str | None = None
    text: bool = False


@dataclass(frozen=True)
class Source:
    model: type
    filterset: type
    owner: str
    red: tuple[str, ...]
    order: tuple[str, ...]
    columns: list[Column] = field(default_factory=list)


def _text(name, source=None, **kw) -> Column:
    return Column(name, source or name, text=True, **kw)


def _plain(name, source=None, **kw) -> Column:
    return Column(name, source or name, **kw)


SOURCES: dict[str, Source] = {
    Kind.CASES: Source(
        model=Case, filterset=CaseFilter, owner="owner_id", red=("tlp",),
        order=("created_at", "id"),
        columns=[
            _text("reference"), _text("subject_reference", "subject__reference"),
            _text("owner", "owner__slug"), _text("requesting_state", "requesting_state_id"),
            _text("requested_state", "requested_state_id"), _text("channel"),
            _plain("legal_instrument", "legal_instrument_id"), _text("interpol_notice"),
            _plain("request_date"), _plain("arrest_date"), _plain("decision_date"),
            _plain("surrender_date"), _text("status"), _plain("status_changed_on"),
            _text("closure_reason"), _text("distribution"), _text("tlp"),
            _plain("created_at"),
            _text("legal_basis_note", shown="owner"),
            _text("interpol_reference", shown="owner"),
            _text("subject_full_name", "subject__full_name", shown="identifier"),
            _text("subject_other_names", "subject__other_names", shown="identifier"),
            _plain("subject_date_of_birth", "subject__date_of_birth", shown="identifier"),
        ],
    ),
    Kind.FOLLOW_UPS: Source(
        model=FollowUp, filterset=FollowUpFilter, owner="case__owner_id", red=("case__tlp",),
        order=("due_at", "id"),
        columns=[
            _plain("id"), _text("case_reference", "case__reference"),
            _text("subject_reference", "case__subject__reference"), _text("kind"),
            _text("mode"), _text("status"), _plain("window_opens_at"), _plain("due_at"),
            _plain("completed_at"), _text("case_tlp", "case__tlp"), _plain("created_at"),
            _text("assignee", "assignee__username", shown="owner"),
            _text("note", shown="owner"),
        ],
    ),
    Kind.FINDINGS: Source(
        model=Finding, filterset=FindingFilter, owner="case__owner_id",
        red=("tlp", "case__tlp"), order=("observed_at", "id"),
        columns=[
            _plain("id"), _text("case_reference", "case__reference"),
            _text("subject_reference", "case__subject__reference"),
            _text("requesting_state", "case__requesting_state_id"),
            _text("assurance_type", "assurance__type"), _plain("report", "report_id"),
            _text("outcome"), _text("severity"), _text("confidence"), _plain("is_open"),
            _text("distribution"), _text("tlp"), _plain("observed_at"), _plain("shared_at"),
            _plain("summary_shareable"),
            _text("evidence_summary", shown="owner", unless="summary_shareable"),
        ],
    ),
}

ROW_KINDS = tuple(SOURCES)


def _query_dict(filters: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for key, value in filters.items():
        values = value if isinstance(value, list) else [value]
        data.setlist(key, ["" if v is None else str(v).lower() if isinstance(v, bool)
                           else str(v) for v in values])
    return data


def filtered(user, kind: str, filters: dict, *, organisation_id: int | None = None,
             identifiers: bool = False) -> QuerySet:
    """The rows of `kind` the user may see, filtered as the API list filters them.

    Raises ValidationError({"filters": {name: [message]}}) for a filter the list does not take
    or a value it refuses. With `identifiers` only the acting organisation's own rows remain.
    """
    source = SOURCES[kind]
    if not isinstance(filters, dict):
        raise ValidationError({"filters": _("Filters are an object of names and values.")})
    filterset = source.filterset(
        data=_query_dict(filters), queryset=policy.restrict(source.model.objects.all(), user),
        request=SimpleNamespace(user=user),
    )
    accepted = filterset.parameters()
    errors = {name: [_("Unknown filter.")] for name in filters if name not in accepted}
    if "q" in filters:
        # A search may hold a person's name, and an export's filters go into the audit log and
        # the file's manifest, which others read: exports filter by fields only.
        errors["q"] = [_("Exports take no search; filter by fields, e.g. subject.")]
    if not errors and not filterset.is_valid():
        errors = filterset.parameter_errors()
    if errors:
        raise ValidationError(filter_errors(errors))
    queryset = _narrowed(filterset.qs, source, organisation_id, identifiers)
    return queryset.order_by(*source.order)


def scope(user, kind: str, *, organisation_id: int | None = None,
          identifiers: bool = False) -> QuerySet:
    """Every row of `kind` an export may hold for `user` now, whatever its filters: what the
    user sees, never RED, and with identifiers only the acting organisation's own."""
    source = SOURCES[kind]
    return _narrowed(policy.restrict(source.model.objects.all(), user), source,
                     organisation_id, identifiers)


def of_ids(kind: str, ids) -> QuerySet:
    """The rows of `kind` with these ids (a subquery), in the export's order."""
    source = SOURCES[kind]
    return source.model.objects.filter(pk__in=ids).order_by(*source.order)


def _narrowed(queryset: QuerySet, source: Source, organisation_id: int | None,
              identifiers: bool) -> QuerySet:
    for lookup in source.red:
        queryset = queryset.exclude(**{lookup: TLP.RED})
    if identifiers:
        queryset = queryset.filter(**{source.owner: organisation_id})
    return queryset


def filter_errors(errors: dict) -> dict:
    """Errors of the filters, one key per filter (`filters.status`): the API shows each."""
    return {f"filters.{name}": [str(m) for m in messages] for name, messages in errors.items()}


def columns(kind: str, identifiers: bool) -> list[Column]:
    return [c for c in SOURCES[kind].columns if identifiers or c.shown != "identifier"]


def strictest_label(labels) -> str:
    """The label of a file is the strictest label of what it holds."""
    return min(set(labels), key=TLP_OPENNESS.__getitem__, default=TLP.CLEAR)


def label_of(kind: str, queryset: QuerySet) -> str:
    lookup = "case__tlp" if kind == Kind.FOLLOW_UPS else "tlp"
    return strictest_label(queryset.order_by().values_list(lookup, flat=True).distinct())


# --- cells -----------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """A cell a spreadsheet would run as a formula, made plain text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _moment(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def cell_formatter(column: Column, fmt: str) -> Callable:
    """How one column's values are written: text (neutralised in spreadsheets), moments in ISO
    8601 (UTC), booleans, numbers and ids. In CSV every cell is text."""
    spreadsheet = fmt in ("csv", "xlsx")
    if column.text:
        if spreadsheet:
            return lambda v: neutralise(v) if v else ("" if v is None else v)
        return lambda v: v

    def plain(v):
        if v is None:
            return "" if fmt == "csv" else None
        if isinstance(v, bool):
            return ("true" if v else "false") if fmt == "csv" else v
        if isinstance(v, int | float):
            return v
        if isinstance(v, datetime.date):
            return _moment(v)
        if isinstance(v, uuid.UUID):
            return str(v)
        text = str(v)
        return neutralise(text) if spreadsheet else text

    return plain


class IsoMoment(Func):
    """A moment as ISO 8601 text in UTC, to the second: `2026-03-10T09:00:00Z`."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=(
            "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"),
            **extra)

    def as_sqlite(self, compiler, connection, **extra):
        # '%%%%' survives the template and the backend's own '%%' unescaping.
        return self.as_sql(compiler, connection,
                           template="strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ', "
                                    "%(expressions)s)", **extra)


class UuidText(Func):
    """A UUID as its usual hyphenated text (SQLite keeps 32 bare hex digits)."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)::text", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        x = "%(expressions)s"
        parts = "||'-'||".join(f"substr({x}, {a}, {n})" for a, n in
                               ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12)))
        return self.as_sql(compiler, connection, template=f"lower({parts})", **extra)


class SpreadsheetText(Func):
    """Text a spreadsheet would run as a formula (it starts with =, +, -, @, tab or carriage
    return), prefixed with an apostrophe by the query itself."""

    output_field = CharField()

    @staticmethod
    def _template(tab: str, cr: str) -> str:
        x = "%(expressions)s"
        starts = f"'=', '+', '-', '@', {tab}, {cr}"
        return f"CASE WHEN substr({x}, 1, 1) IN ({starts}) THEN '''' || {x} ELSE {x} END"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template=self._template("chr(9)", "chr(13)"),
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection,
                           template=self._template("char(9)", "char(13)"), **extra)


def _field(queryset: QuerySet, lookup: str):
    field = queryset.query.resolve_ref(lookup).output_field
    return field.target_field if field.is_relation else field


def _sealed(queryset: QuerySet, column: Column) -> str | None:
    """The column label a sealed column's values were sealed for; None for other columns."""
    field = _field(queryset, column.source)
    return field.column_label if isinstance(field, SealedMixin) else None


def _cell(queryset: QuerySet, column: Column, *, spreadsheet: bool):
    """The expression of one cell as text, or NULL. A sealed value leaves the database as it
    is stored, to be opened (and neutralised) by `_opened`."""
    field = _field(queryset, column.source)
    kind = field.get_internal_type()
    ref = F(column.source)
    if isinstance(field, SealedMixin):
        return ref
    if kind == "DateTimeField":
        return IsoMoment(ref)
    if kind == "UUIDField":
        return UuidText(ref)
    if kind == "BooleanField":
        return Choose(When(**{column.source: True}, then=Value("true")),
                    When(**{column.source: False}, then=Value("false")),
                    default=Value(None), output_field=CharField())
    if kind in ("CharField", "TextField"):
        return SpreadsheetText(ref) if spreadsheet else ref
    # Dates (ISO 8601 in both databases) and numbers.
    return Cast(ref, CharField())


def _gated(cell, column: Column, source: Source, mine: list[int]):
    """An owner-only cell: its value for the owner's members (or where `unless` opens it),
    NULL for everyone else."""
    shown = Q(**{f"{source.owner}__in": mine})
    if column.unless:
        shown |= Q(**{column.unless: True})
    return Choose(When(shown, then=cell), default=Value(None), output_field=CharField())


def _numeric(kind: str) -> bool:
    return kind.endswith("IntegerField") or kind.endswith("AutoField")


def _cells(user, queryset: QuerySet, kind: str, cols: list[Column], fmt: str) -> dict:
    """The expression of each cell of a row, named c0, c1, ..."""
    source = SOURCES[kind]
    mine = list(policy.roles(user))
    spreadsheet = fmt in ("csv", "xlsx")
    cells = {}
    for i, column in enumerate(cols):
        cell = _cell(queryset, column, spreadsheet=spreadsheet)
        cells[f"c{i}"] = _gated(cell, column, source, mine) if column.shown == "owner" else cell
    return cells


def _label_lookup(kind: str) -> str:
    return "case__tlp" if kind == Kind.FOLLOW_UPS else "tlp"


def iter_rows(user, queryset: QuerySet, kind: str, cols: list[Column], *, fmt: str,
              labels: set | None = None) -> Iterator[list]:
    """Chunks of rows, each cell formatted by the database itself: text, ISO 8601 moments in
    UTC, `true`/`false`, neutralised for spreadsheets; owner-only cells empty outside the
    owner. The label of each row goes into `labels`, for the label of the file."""
    cells = _cells(user, queryset, kind, cols, fmt)
    values = queryset.annotate(**cells).values_list(*cells, _label_lookup(kind))
    types = [_field(queryset, c.source).get_internal_type() for c in cols]
    sealed = [(i, label) for i, c in enumerate(cols) if (label := _sealed(queryset, c))]
    spreadsheet = fmt in ("csv", "xlsx")
    # JSON keeps booleans and numbers as such.
    typed = fmt == "json" and any(t == "BooleanField" or _numeric(t) for t in types)
    found = labels if labels is not None else set()
    rows = values.iterator(chunk_size=CHUNK)
    while chunk := list(itertools.islice(rows, CHUNK)):
        found.update(row[-1] for row in chunk)
        if sealed:
            chunk = _opened(chunk, sealed, spreadsheet)
        if typed:
            yield [[_typed(v, t) for v, t in zip(row[:-1], types, strict=True)]
                   for row in chunk]
        else:
            yield [row[:-1] for row in chunk]


def _opened(chunk: list, sealed: list[tuple[int, str]], spreadsheet: bool) -> list:
    """The chunk with its sealed cells opened: their keys unwrapped together first (one query),
    a cell whose key was destroyed left empty."""
    for row in chunk:
        for i, _label in sealed:
            if row[i] and (key_id := crypto.key_id_of(row[i])):
                keyring.expect(key_id)
    opened = []
    for row in chunk:
        row = list(row)
        for i, label in sealed:
            if row[i]:
                text = keyring.reveal(row[i], label) or ""
                row[i] = neutralise(text) if spreadsheet else text
        opened.append(row)
    return opened


# The code points of FORMULA_STARTS: ascii() of a text is that of its first character.
FORMULA_CODES = ", ".join(str(ord(start)) for start in FORMULA_STARTS)


def _copied_cell(kind: str, ref: str) -> str:
    """One raw cell (`ref`) written as `_cell` writes it, by cheaper means that give the same
    text: COPY writes ids, numbers and dates with their output functions, which is what a cast
    to text does; booleans cast to `true`/`false`; moments truncated to the second in ISO
    output (`_copy` sets DateStyle); text neutralised by the code of its first character
    (not a substring compared with each start). NULL stays NULL."""
    if kind == "DateTimeField":
        return f"replace(date_trunc('second', {ref} AT TIME ZONE 'UTC')::text, ' ', 'T') || 'Z'"
    if kind == "BooleanField":
        return f"({ref})::text"
    if kind in ("CharField", "TextField"):
        return f"CASE WHEN ascii({ref}) IN ({FORMULA_CODES}) THEN '''' || {ref} ELSE {ref} END"
    return ref


def _copy_statement(user, queryset: QuerySet, kind: str, cols: list[Column],
                    **extra) -> tuple[str, list, str]:
    """The rows COPY writes: the SELECT of the raw cells (owner-only ones gated as in
    `_cells`), sorted, with `extra` values after them; and the list of the formatted cells
    over its rows (`r`). Formatting after the sort keeps the rows sorted (on disk, past a few
    MB) narrow, and formats each cell once; a subquery with ORDER BY is never merged into the
    query around it, whose rows therefore come in its order."""
    source = SOURCES[kind]
    mine = list(policy.roles(user))
    raw, written = {}, []
    for i, column in enumerate(cols):
        ref = F(column.source)
        raw[f"r{i}"] = _gated(ref, column, source, mine) if column.shown == "owner" else ref
        field = _field(queryset, column.source)
        # A sealed value leaves as stored (the caller made sure every one is empty).
        written.append(f'r."r{i}"' if isinstance(field, SealedMixin)
                       else _copied_cell(field.get_internal_type(), f'r."r{i}"'))
    sql, params = queryset.annotate(**raw, **extra).values_list(*raw, *extra) \
        .query.sql_with_params()
    return sql, list(params), ", ".join(written)


def _copy(sql: str, params, out, *before: str) -> int:
    """COPY of the SELECT `sql` as CSV into `out`, in a transaction after the `before`
    statements; returns the rows written. COPY takes no bound parameters: the statement is
    composed by psycopg, which quotes."""
    connection.ensure_connection()
    raw = connection.connection
    statement = psycopg.ClientCursor(raw).mogrify(sql, params)
    with transaction.atomic(), raw.cursor() as cursor:
        # Moments and dates in ISO 8601, whatever the server's default.
        cursor.execute("SET LOCAL datestyle = 'ISO'")
        for sql_before in before:
            cursor.execute(sql_before)
        with cursor.copy(f"COPY ({statement}) TO STDOUT WITH (FORMAT csv)") as copy:
            for data in copy:
                out.write(data)
        return cursor.rowcount


@dataclass(frozen=True)
class Copied:
    """What `copy_csv_keeping` wrote and found: the rows, their labels, and whether one holds
    a sealed value (then the file is not usable: only the application can open those)."""

    rows: int
    labels: set[str]
    sealed: bool


# Where the COPY that keeps the ids leaves what it found of the rows, for its transaction.
_SURVEY_TABLE = ("CREATE TEMPORARY TABLE IF NOT EXISTS em_export_survey "
                 "(label text, sealed boolean) ON COMMIT DELETE ROWS")
_SURVEY_EMPTY = "DELETE FROM pg_temp.em_export_survey"
_SURVEY_READ = "SELECT label, sealed FROM pg_temp.em_export_survey"


def copy_csv_keeping(user, queryset: QuerySet, kind: str, cols: list[Column], out,
                     export: Export) -> Copied:
    """On PostgreSQL: the CSV rows of `queryset` written by the database itself, the very
    text the formatted SELECT of `iter_rows` gives (see `_copy_statement`), streamed into
    `out`; the ids of the rows written kept as the export's `ExportRecords`; their labels and
    whether one holds a sealed value told. All in one statement: the rows are selected and
    sorted once, and read three times from the database's own copy of them. A file for which
    `sealed` is true must be written again by the application (the ids kept are those of its
    rows). Ids kept before for the export must be gone (`kept.forget`).

    The connection is busy for the whole COPY, so nothing may use it before the last row is
    read: the caller reports progress (a database write) once this returns."""
    sealed = Q()
    for column in cols:
        if _sealed(queryset, column):
            sealed |= ~Q(**{column.source: ""}) & Q(**{f"{column.source}__isnull": False})
    holds = (Choose(When(sealed, then=Value(True)), default=Value(False),
                    output_field=BooleanField()) if sealed else Value(False, BooleanField()))
    sql, params, written = _copy_statement(user, queryset, kind, cols, row_key=F("pk"),
                                           row_label=F(_label_lookup(kind)), row_sealed=holds)
    keep, keep_params = kept.keep_sql(export, "r.row_key", "r")
    # The ids and the survey are written by the statement's data-modifying parts, which
    # PostgreSQL runs to the end whatever the COPY reads; the rows come out of the
    # materialised `r` in the order they went in, its ORDER BY's.
    statement = (
        f"WITH r AS MATERIALIZED ({sql}), "  # noqa: S608 - names are this module's, SQL the ORM's
        f"kept AS ({keep}), "
        "surveyed AS (INSERT INTO pg_temp.em_export_survey (label, sealed) "
        "SELECT r.row_label, bool_or(r.row_sealed) FROM r GROUP BY r.row_label) "
        f"SELECT {written} FROM r"
    )
    with transaction.atomic():
        written_rows = _copy(statement, [*params, *keep_params], out, _SURVEY_TABLE,
                             _SURVEY_EMPTY)
        with connection.cursor() as cursor:
            cursor.execute(_SURVEY_READ)
            found = cursor.fetchall()
    return Copied(written_rows, {label for label, _holds in found},
                  any(holds for _label, holds in found))


def _typed(value, kind: str):
    if value is None:
        return None
    if kind == "BooleanField":
        return value == "true"
    return int(value) if _numeric(kind) else value


# --- the compliance record -------------------------------------------------------------------

OUTCOMES = list(Finding.Outcome.values)
RECORD_METRICS = [
    "cases", "checks", "findings", *[f"outcome_{o}" for o in OUTCOMES],
    "access_refused_share", "unverifiable_share", "days_to_first_access_median",
    "days_to_first_access_p90", "cases_without_access", "lapses", "suppressed",
]


NUMBERED_GROUPS = ("year", "legal_instrument")


def record_table(cells: list[dict], group_by: tuple[str, ...], fmt: str):
    """The record's cells as a table. A suppressed cell keeps its "<3" and nothing else."""
    header = [*group_by, *RECORD_METRICS]
    text = Column("", "", text=True)
    # Years and instruments' ids are numbers, which the formatter of text cannot take.
    formatters = [cell_formatter(text if g not in NUMBERED_GROUPS else Column("", ""), fmt)
                  for g in group_by] + [cell_formatter(Column("", ""), fmt)
                                        for _ in RECORD_METRICS]

    def values(cell: dict) -> list:
        flat = {**cell, **{f"outcome_{o}": n for o, n in cell.get("outcomes", {}).items()}}
        return [flat.get(name) for name in header]

    return header, [[[f(v) for f, v in zip(formatters, values(cell), strict=True)]
                     for cell in cells]]
