"""What an export holds: the rows of the API lists, restricted and filtered the same way.

Each kind names its list's FilterSet, its columns and which columns only the owning
organisation sees, exactly as the API serializers drop them. RED-labelled records never leave
in bulk. Rows are read with `values_list()` in chunks, so memory stays flat however many rows.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from cases import policy
from cases.filters import CaseFilter
from cases.models import Case
from cases.models.sharing import TLP, TLP_OPENNESS

from ..filters import FindingFilter, FollowUpFilter
from ..models import Export, Finding, FollowUp

Kind = Export.Kind
CHUNK = 2000
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
    errors = {name: [_("Unknown filter.")] for name in filters if name not in filterset.form.fields}
    if "q" in filters:
        # A search may hold a person's name, and an export's filters go into the audit log and
        # the file's manifest, which others read: exports filter by fields only.
        errors["q"] = [_("Exports take no search; filter by fields, e.g. subject.")]
    if not errors and not filterset.is_valid():
        errors = filterset.errors
    if errors:
        raise ValidationError(filter_errors(errors))
    queryset = filterset.qs
    for lookup in source.red:
        queryset = queryset.exclude(**{lookup: TLP.RED})
    if identifiers:
        queryset = queryset.filter(**{source.owner: organisation_id})
    return queryset.order_by(*source.order)


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


def iter_rows(user, queryset: QuerySet, kind: str, cols: list[Column], *,
              fmt: str) -> Iterator[list]:
    """The formatted cells of each row; owner-only cells left empty outside the owner."""
    source = SOURCES[kind]
    lookups = [c.source for c in cols]
    extra = [source.owner] + [c.unless for c in cols if c.unless and c.unless not in lookups]
    index = {name: i for i, name in enumerate(lookups + extra)}
    owner_at = index[source.owner]
    gated = [(i, index[c.unless] if c.unless else None)
             for i, c in enumerate(cols) if c.shown == "owner"]
    formatters = [cell_formatter(c, fmt) for c in cols]
    mine = set(policy.roles(user))
    width = len(cols)
    for row in queryset.values_list(*lookups, *extra).iterator(chunk_size=CHUNK):
        if gated and row[owner_at] not in mine:
            row = list(row)
            for i, opened_by in gated:
                if opened_by is None or not row[opened_by]:
                    row[i] = None
        yield [f(v) for f, v in zip(formatters, row[:width], strict=True)]


# --- the compliance record -------------------------------------------------------------------

OUTCOMES = list(Finding.Outcome.values)
RECORD_METRICS = [
    "cases", "checks", "findings", *[f"outcome_{o}" for o in OUTCOMES],
    "access_refused_share", "unverifiable_share", "days_to_first_access_median",
    "days_to_first_access_p90", "cases_without_access", "lapses", "suppressed",
]


def record_table(cells: list[dict], group_by: tuple[str, ...], fmt: str):
    """The record's cells as a table. A suppressed cell keeps its "<3" and nothing else."""
    header = [*group_by, *RECORD_METRICS]
    text = Column("", "", text=True)
    formatters = [cell_formatter(text if g != "year" else Column("", ""), fmt)
                  for g in group_by] + [cell_formatter(Column("", ""), fmt)
                                        for _ in RECORD_METRICS]

    def values(cell: dict) -> list:
        flat = {**cell, **{f"outcome_{o}": n for o, n in cell.get("outcomes", {}).items()}}
        return [flat.get(name) for name in header]

    rows = ([f(v) for f, v in zip(formatters, values(cell), strict=True)] for cell in cells)
    return header, rows
