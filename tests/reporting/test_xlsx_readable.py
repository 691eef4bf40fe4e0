"""XLSX exports are for people: headings in the requester's language, each code beside its
name, numbers, shares and dates as such, a frozen heading row, a filter and fitted widths;
CSV and JSON keep their machine columns.
"""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from cases.models import Assurance, Case
from reporting.exports import rows

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, country
from ..monitoring_helpers import NOW, first_visit, freeze, monitored_case, submit
from . import test_compliance_record as seeded

record = seeded.record

LONG_NOTE = "A note far longer than any column should be wide " * 5


def _export(user, language="en", **body) -> bytes:
    client = api_client(user)
    response = client.post("/api/v1/exports/", body, format="json",
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 201, response.content
    export = response.json()
    assert export["status"] == "ready", export
    download = client.get(f"/api/v1/exports/{export['id']}/download/")
    assert download.status_code == 200
    return b"".join(download.streaming_content)


def _workbook(content: bytes):
    return load_workbook(io.BytesIO(content))


def _headings(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def _column(sheet, heading: str) -> list:
    """The cells under `heading`."""
    index = _headings(sheet).index(heading)
    return [row[index] for row in sheet.iter_rows(min_row=2)]


@pytest.fixture
def case(world):
    return CaseFactory(owner=world.ngo_fr, reference="X-1", request_date=datetime.date(2026, 1, 10),
                       status=Case.Status.SURRENDERED, legal_basis_note=LONG_NOTE,
                       legal_instrument=seeded.instrument("FR"))


@pytest.mark.parametrize("language", ["en", "fr"])
def test_headings_and_names_are_in_the_requesters_language(world, case, language):
    sheet = _workbook(_export(world.fr_caseworker, language, kind="cases", format="xlsx"))["Data"]
    headings = _headings(sheet)
    with translation.override(language):
        status, state = _("Status"), _("Requesting state")
        expected = [_("Reference"), _("%(column)s (code)") % {"column": status}, status,
                    _("%(column)s (code)") % {"column": state}, state, _("Request date")]
        status_name = str(Case.Status.SURRENDERED.label)
    for heading in expected:
        assert heading in headings
    # The code, then its name beside it.
    at = headings.index(status)
    assert headings[at - 1] == expected[1]
    assert [c.value for c in _column(sheet, expected[1])] == [Case.Status.SURRENDERED.value]
    assert [c.value for c in _column(sheet, status)] == [status_name]
    assert [c.value for c in _column(sheet, state)] == [country("CN").name]
    if language == "fr":
        # Translated already: the sheet is not in English.
        assert {"Référence", "Statut", "État requérant", "Date de la demande"} <= set(headings)
        assert "Reference" not in headings and status_name != "Surrendered"
    else:
        assert {"Reference", "Status", "Requesting state", "Request date"} <= set(headings)


def test_dates_and_numbers_are_cells_of_their_kind(world, case):
    sheet = _workbook(_export(world.fr_caseworker, kind="cases", format="xlsx"))["Data"]
    (requested,) = _column(sheet, "Request date")
    assert requested.is_date and requested.number_format == "yyyy-mm-dd"
    assert requested.value == datetime.datetime(2026, 1, 10)
    (created,) = _column(sheet, "Created at (UTC)")
    assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm:ss"
    assert created.value == case.created_at.astimezone(datetime.UTC).replace(
        tzinfo=None, microsecond=0)
    (empty,) = _column(sheet, "Arrest date")
    assert empty.value is None
    (instrument,) = _column(sheet, "Legal instrument (code)")
    assert instrument.data_type == "n" and instrument.value == case.legal_instrument_id
    (title,) = _column(sheet, "Legal instrument")
    assert title.value == case.legal_instrument.title


def test_the_heading_row_is_frozen_filtered_and_columns_fit(world, case):
    CaseFactory(owner=world.ngo_fr, reference="X-2")
    sheet = _workbook(_export(world.fr_caseworker, kind="cases", format="xlsx"))["Data"]
    assert sheet.freeze_panes == "A2"
    last = get_column_letter(len(_headings(sheet)))
    assert sheet.auto_filter.ref == f"A1:{last}3"
    assert all(cell.font.bold for cell in sheet[1])
    widths = {heading: sheet.column_dimensions[get_column_letter(i)].width
              for i, heading in enumerate(_headings(sheet), start=1)}
    assert all(8 <= width <= 60 for width in widths.values()), widths
    # The long note is cut at the widest; a heading is never cut.
    assert widths["Legal basis note"] == 60
    assert widths["Requesting state (code)"] >= len("Requesting state (code)")
    assert widths["Reference"] < 20


def test_the_columns_sheet_names_every_field_of_csv_and_json(world, case):
    workbook = _workbook(_export(world.fr_caseworker, kind="cases", format="xlsx"))
    listed = [tuple(row) for row in workbook["Columns"].iter_rows(min_row=2, values_only=True)]
    assert [heading for heading, _field in listed] == _headings(workbook["Data"])
    machine = [c.name for c in rows.columns("cases", False)]
    assert [field for _heading, field in listed if field] == machine
    # A name column shows no field of its own.
    assert ("Status", None) in listed and ("Status (code)", "status") in listed
    # And CSV and JSON keep exactly the machine columns.
    content = _export(world.fr_caseworker, kind="cases", format="csv")
    assert next(csv.reader(io.StringIO(content.decode("utf-8-sig")))) == machine
    content = _export(world.fr_caseworker, kind="cases", format="json")
    assert json.loads(content)["columns"] == machine
    assert json.loads(content)["rows"][0]["request_date"] == "2026-01-10"


def test_a_finding_sheet_holds_booleans_and_moments(world, time_machine):
    freeze(time_machine)
    case = monitored_case(world)
    assurance = AssuranceFactory(case=case, type="no_torture")
    submit(world, first_visit(case), checked_at=NOW, findings=[
        {"assurance": assurance, "outcome": "complied", "severity": "low"}])
    sheet = _workbook(_export(world.fr_caseworker, kind="findings", format="xlsx"))["Data"]
    (is_open,) = _column(sheet, "Open")
    assert is_open.data_type == "b" and is_open.value is True
    (observed,) = _column(sheet, "Observed at (UTC)")
    assert observed.is_date
    (outcome,) = _column(sheet, "Outcome")
    assert outcome.value == "Complied"


@pytest.mark.usefixtures("exact_counts")
def test_the_record_sheet_shows_counts_and_percentages(record):
    w = record.world
    sheet = _workbook(_export(w.fr_caseworker, kind="compliance", format="xlsx"))["Data"]
    headings = _headings(sheet)
    by_state = {row[headings.index("Requesting state (code)")].value: row
                for row in sheet.iter_rows(min_row=2)}
    china, russia = by_state["CN"], by_state["RU"]
    assert china[headings.index("Requesting state")].value == country("CN").name

    def cell(row, heading):
        return row[headings.index(heading)]

    # As in the PDF report: 5 cases, 8 checks, 11 findings, 25.0% refused, 9.1% unverifiable.
    assert [cell(china, h).value for h in ("Cases", "Checks", "Findings")] == [5, 8, 11]
    assert all(cell(china, h).data_type == "n" for h in ("Cases", "Checks", "Findings"))
    refused = cell(china, "Share of checks with access refused")
    assert refused.value == pytest.approx(0.25) and refused.number_format == "0.0%"
    unverifiable = cell(china, "Share of findings unverifiable")
    assert unverifiable.value == pytest.approx(0.091) and unverifiable.number_format == "0.0%"
    assert cell(china, "Median days to first access").value == 7
    assert cell(china, "Suppressed").value is False
    # A small cell keeps its "<3", as text, and nothing else.
    assert cell(russia, "Cases").value == "<3" and cell(russia, "Suppressed").value is True
    assert cell(russia, "Checks").value is None
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")


@pytest.mark.usefixtures("exact_counts")
def test_the_record_by_instrument_names_each_instrument(record):
    w = record.world
    filters = {"group_by": ["legal_instrument", "assurance_type"]}
    sheet = _workbook(_export(w.fr_caseworker, kind="compliance", format="xlsx",
                              filters=filters))["Data"]
    codes = [c.value for c in _column(sheet, "Legal instrument (code)")]
    titles = [c.value for c in _column(sheet, "Legal instrument")]
    assert record.fr_cn.pk in codes
    assert titles[codes.index(record.fr_cn.pk)] == record.fr_cn.title
    names = dict(zip([c.value for c in _column(sheet, "Assurance type (code)")],
                     [c.value for c in _column(sheet, "Assurance type")], strict=True))
    assert names[Assurance.Type.NO_TORTURE] == Assurance.Type.NO_TORTURE.label
    # CSV writes the instrument's id as its text.
    content = _export(w.fr_caseworker, kind="compliance", format="csv", filters=filters)
    instruments = {r["legal_instrument"] for r in csv.DictReader(
        io.StringIO(content.decode("utf-8-sig")))}
    assert str(record.fr_cn.pk) in instruments
