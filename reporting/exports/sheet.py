"""An export as a person reads it in a spreadsheet: headings in the language of the build, each
code beside its name, counts and days as numbers, shares as percentages, dates as dates.

Only XLSX files are laid out so: CSV and JSON keep the machine columns as they are. The layout
reads the very rows those formats write, and never drops a machine column; a `Columns` sheet
names the field of CSV and JSON each column shows.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from cases.models import Assurance, Country, LegalInstrument, Organisation
from monitoring.models import Finding

from .rows import Column, _field, neutralise

TEXT, INTEGER, NUMBER, PERCENT, DATE, MOMENT, BOOLEAN = (
    "text", "integer", "number", "percent", "date", "moment", "boolean")
NUMBER_FORMATS = {NUMBER: "0.0", PERCENT: "0.0%", DATE: "yyyy-mm-dd",
                  MOMENT: "yyyy-mm-dd hh:mm:ss"}
# Characters a column is at least and at most wide; widths are measured on the first rows.
NARROWEST, WIDEST, SAMPLE = 8, 60, 1000
SHOWN_WIDTH = {DATE: 10, MOMENT: 19, PERCENT: 7, BOOLEAN: 5}

HEADINGS = {
    "reference": gettext_lazy("Reference"),
    "subject_reference": gettext_lazy("Subject reference"),
    "owner": gettext_lazy("Organisation"),
    "requesting_state": gettext_lazy("Requesting state"),
    "requested_state": gettext_lazy("Requested state"),
    "channel": gettext_lazy("Channel"),
    "legal_instrument": gettext_lazy("Legal instrument"),
    "interpol_notice": gettext_lazy("Interpol notice"),
    "request_date": gettext_lazy("Request date"),
    "arrest_date": gettext_lazy("Arrest date"),
    "decision_date": gettext_lazy("Decision date"),
    "surrender_date": gettext_lazy("Surrender date"),
    "status": gettext_lazy("Status"),
    "status_changed_on": gettext_lazy("Status changed on"),
    "closure_reason": gettext_lazy("Closure reason"),
    "distribution": gettext_lazy("Distribution"),
    "tlp": gettext_lazy("TLP"),
    "created_at": gettext_lazy("Created at (UTC)"),
    "legal_basis_note": gettext_lazy("Legal basis note"),
    "interpol_reference": gettext_lazy("Interpol reference"),
    "subject_full_name": gettext_lazy("Full name"),
    "subject_other_names": gettext_lazy("Other names"),
    "subject_date_of_birth": gettext_lazy("Date of birth"),
    "id": gettext_lazy("ID"),
    "case_reference": gettext_lazy("Case reference"),
    "kind": gettext_lazy("Kind"),
    "mode": gettext_lazy("Mode"),
    "window_opens_at": gettext_lazy("Window opens at (UTC)"),
    "due_at": gettext_lazy("Due at (UTC)"),
    "completed_at": gettext_lazy("Completed at (UTC)"),
    "case_tlp": gettext_lazy("Case TLP"),
    "assignee": gettext_lazy("Assignee"),
    "note": gettext_lazy("Note"),
    "assurance_type": gettext_lazy("Assurance type"),
    "report": gettext_lazy("Check report"),
    "outcome": gettext_lazy("Outcome"),
    "severity": gettext_lazy("Severity"),
    "confidence": gettext_lazy("Confidence"),
    "is_open": gettext_lazy("Open"),
    "observed_at": gettext_lazy("Observed at (UTC)"),
    "shared_at": gettext_lazy("Shared at (UTC)"),
    "summary_shareable": gettext_lazy("Summary shareable"),
    "evidence_summary": gettext_lazy("Evidence summary"),
    # The compliance record.
    "year": gettext_lazy("Year"),
    "cases": gettext_lazy("Cases"),
    "checks": gettext_lazy("Checks"),
    "findings": gettext_lazy("Findings"),
    "access_refused_share": gettext_lazy("Share of checks with access refused"),
    "unverifiable_share": gettext_lazy("Share of findings unverifiable"),
    "days_to_first_access_median": gettext_lazy("Median days to first access"),
    "days_to_first_access_p90": gettext_lazy("90th percentile days to first access"),
    "cases_without_access": gettext_lazy("Cases without access"),
    "lapses": gettext_lazy("Lapses"),
    "suppressed": gettext_lazy("Suppressed"),
}
KINDS_OF_FIELDS = {"DateField": DATE, "DateTimeField": MOMENT, "BooleanField": BOOLEAN}
# Reference data whose codes a column holds: the code's field and the name shown beside it.
NAMED = {Country: ("code", "name"), LegalInstrument: ("id", "title"),
         Organisation: ("slug", "name")}
# The record's columns are counts, but for these.
RECORD_KINDS = {"requesting_state": TEXT, "assurance_type": TEXT,
                "access_refused_share": PERCENT, "unverifiable_share": PERCENT,
                "days_to_first_access_median": NUMBER, "days_to_first_access_p90": NUMBER,
                "suppressed": BOOLEAN}
RECORD_GROUPS = {"requesting_state": Country, "legal_instrument": LegalInstrument}


@dataclass(frozen=True)
class SheetColumn:
    """One column of the sheet: a machine column's value, or the name of its code."""

    field: str  # the machine column shown, by its name in CSV and JSON
    heading: str
    index: int  # its place in a machine row
    kind: str = TEXT
    names: Mapping | None = None  # for a name column: each code's name

    def value(self, raw):
        if raw is None or raw == "":
            return None
        try:
            value = _CONVERTERS[self.kind](raw) if isinstance(raw, str) else raw
        except ValueError:
            # A suppressed count keeps its "<3".
            value = raw
        return value if self.names is None else self.names.get(value)

    def cell(self, sheet, raw):
        value = self.value(raw)
        number_format = NUMBER_FORMATS.get(self.kind)
        if number_format is None or value is None or isinstance(value, str):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell


def _moment(text: str) -> datetime.datetime:
    # Spreadsheets know no time zones: moments are written in UTC, as their headings say.
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.UTC).replace(tzinfo=None)
    return moment


_CONVERTERS = {
    TEXT: str, INTEGER: int, NUMBER: float, PERCENT: float,
    DATE: datetime.date.fromisoformat, MOMENT: _moment, BOOLEAN: lambda text: text == "true",
}


def heading(name: str) -> str:
    if name.startswith("outcome_"):
        return str(Finding.Outcome(name.removeprefix("outcome_")).label)
    return str(HEADINGS.get(name, name))


def _named(name: str, index: int, kind: str, names: dict | None) -> list[SheetColumn]:
    """The column; with names, the code's column and its name's next to it."""
    if names is None:
        return [SheetColumn(name, heading(name), index, kind)]
    code = _("%(column)s (code)") % {"column": heading(name)}
    return [SheetColumn(name, code, index, kind),
            SheetColumn("", heading(name), index, kind, names)]


def _names_of(model, key: str, name: str) -> dict:
    return {k: neutralise(str(v)) for k, v in model.objects.values_list(key, name)}


def _choices(field) -> dict:
    return {value: neutralise(str(label)) for value, label in field.flatchoices}


def row_layout(queryset: QuerySet, cols: list[Column]) -> list[SheetColumn]:
    """The sheet of an export of records: `cols` in order, each code with its name."""
    layout = []
    for index, column in enumerate(cols):
        field = _field(queryset, column.source)
        kind = field.get_internal_type()
        kind = INTEGER if kind.endswith(("IntegerField", "AutoField")) else \
            KINDS_OF_FIELDS.get(kind, TEXT)
        names = None
        if field.choices:
            names = _choices(field)
        elif NAMED.get(field.model, ("",))[0] == field.name:
            names = _names_of(field.model, *NAMED[field.model])
        layout += _named(column.name, index, kind, names)
    return layout


def record_layout(header: list[str]) -> list[SheetColumn]:
    """The sheet of the compliance record: its groups, each code with its name, then counts,
    shares and days."""
    layout = []
    for index, name in enumerate(header):
        names = None
        if name in RECORD_GROUPS:
            names = _names_of(RECORD_GROUPS[name], *NAMED[RECORD_GROUPS[name]])
        elif name == "assurance_type":
            names = _choices(Assurance._meta.get_field("type"))
        layout += _named(name, index, RECORD_KINDS.get(name, INTEGER), names)
    return layout


def plain_layout(header: list[str]) -> list[SheetColumn]:
    """Each machine column as it is, headed by its name."""
    return [SheetColumn(name, name, index) for index, name in enumerate(header)]


# --- writing ---------------------------------------------------------------------------------


def _shown_width(value, kind: str) -> int:
    if value is None:
        return 0
    if kind in SHOWN_WIDTH and not isinstance(value, str):
        return SHOWN_WIDTH[kind]
    return max(len(line) for line in str(value).splitlines() or [""])


def widths(layout: list[SheetColumn], sample: Iterable[list]) -> list[int]:
    """Each column's width in characters, to fit its heading and the values of `sample`."""
    widest = [len(column.heading) + 2 for column in layout]
    for row in sample:
        for i, column in enumerate(layout):
            widest[i] = max(widest[i], _shown_width(column.value(row[column.index]),
                                                    column.kind))
    return [min(WIDEST, max(NARROWEST, width + 1)) for width in widest]


def write_table(sheet, layout: list[SheetColumn], chunks: Iterator[list]) -> int:
    """The heading row, frozen and filtered, then every row; returns the rows written.

    A write-only sheet writes its columns' widths and its frozen pane before its first row, so
    widths are measured on the first chunk, read before anything is written."""
    first = next(chunks, [])
    for i, width in enumerate(widths(layout, itertools.islice(first, SAMPLE)), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    sheet.append([_bold(sheet, neutralise(column.heading), bold) for column in layout])
    count = 0
    for chunk in itertools.chain([first], chunks):
        for row in chunk:
            sheet.append([column.cell(sheet, row[column.index]) for column in layout])
        count += len(chunk)
    if layout:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(layout))}{count + 1}"
    return count


def write_columns(sheet, layout: list[SheetColumn]) -> None:
    """What each column of the data shows: its heading, and its field in CSV and JSON (none for
    the name of a code)."""
    bold = Font(bold=True)
    header = [_("Column"), _("Field in CSV and JSON")]
    rows = [[neutralise(column.heading), column.field] for column in layout]
    for i, width in enumerate(widths(plain_layout(header), [header, *rows]), start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.append([_bold(sheet, text, bold) for text in header])
    for row in rows:
        sheet.append(row)


def _bold(sheet, value: str, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = font
    return cell
