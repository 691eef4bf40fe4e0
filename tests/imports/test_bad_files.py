"""Each kind of bad file gets its own clear error, at upload or per row and field, and nothing
of it is kept; identifiers typed in a file are never quoted back, nor written to the log."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from cases.models import AuditEvent, Case, DataKey, Subject
from imports.models import ImportJob

from . import files
from .support import CASE_ROW, check, csv_bytes, imported, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _refused(user, content: bytes, name: str = "cases.csv") -> str:
    with pytest.raises(ValidationError) as caught:
        upload(user, content, name=name)
    assert not ImportJob.objects.exists()
    return " ".join(caught.value.message_dict["file"])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "windows-1252"])
def test_each_encoding_is_recognised_and_read(world, encoding):
    row = {**CASE_ROW, "subject_full_name": "Zoë Müller-Ærø"}
    job = imported(world.fr_caseworker, csv_bytes([row], encoding=encoding))
    assert job.status == "done", job.errors
    assert job.encoding == {"utf-8-sig": "utf-8"}.get(encoding, encoding)
    assert Subject.objects.get().full_name == "Zoë Müller-Ærø"


def test_an_unknown_encoding_is_refused(world):
    assert "encoding" in _refused(world.fr_caseworker, b"reference\n\x81\x8d\x8f\x90\n")


def test_a_file_over_the_limit_is_refused(world, settings):
    settings.IMPORT_MAX_BYTES = 1000
    assert "limit" in _refused(world.fr_caseworker, csv_bytes([CASE_ROW] * 20))


def test_too_many_rows_are_refused(world, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [{**CASE_ROW, "reference": f"R-{i}"} for i in range(5)]
    assert "3" in _refused(world.fr_caseworker, csv_bytes(rows))


def test_an_xlsx_bomb_is_not_opened(world, settings, tmp_path):
    settings.IMPORT_MAX_BYTES = files.MB
    path = files.bomb_file(tmp_path, 200 * files.MB)
    assert "unpacks" in _refused(world.fr_caseworker, path.read_bytes(), name="cases.xlsx")
    # The sealed upload is gone and its key destroyed.
    assert not list((tmp_path / "media" / "imports").glob("*"))
    assert not DataKey.objects.filter(destroyed_at__isnull=True).exists()


def test_old_excel_and_other_files_are_refused(world):
    assert "XLSX" in _refused(world.fr_caseworker, files.XLS_HEAD, name="cases.xls")


def test_a_formula_cell_is_an_error_of_its_row_and_field(world, tmp_path):
    headers = list(CASE_ROW)
    values = [CASE_ROW[h] for h in headers]
    values[headers.index("request_date")] = "=TODAY()"
    content = files.workbook_bytes([headers, values])
    job = check(world.fr_caseworker, upload(world.fr_caseworker, content, name="cases.xlsx"))
    assert job.format == "xlsx"
    assert [(e["row"], e["field"]) for e in job.errors] == [(2, "request_date")]
    assert "formula" in job.errors[0]["message"]


def test_xlsx_dates_and_numbers_are_read_as_typed(world):
    import datetime

    headers = list(CASE_ROW)
    values = [CASE_ROW[h] for h in headers]
    values[headers.index("request_date")] = datetime.datetime(2024, 1, 10)
    values[headers.index("reference")] = 1234
    job = imported(world.fr_caseworker, files.workbook_bytes([headers, values]),
                   name="cases.xlsx")
    assert job.status == "done", job.errors
    assert str(Case.objects.get().request_date) == "2024-01-10"


def test_an_ambiguous_date_asks_for_the_format_and_is_never_guessed(world):
    job = check(world.fr_caseworker, upload(world.fr_caseworker, csv_bytes(
        [{**CASE_ROW, "request_date": "03/04/2024"}])))
    assert [e["field"] for e in job.errors] == ["request_date"]
    assert "date format" in job.errors[0]["message"]
    job = imported(world.fr_caseworker, csv_bytes([{**CASE_ROW, "request_date": "03/04/2024"}]),
                   date_format="mdy")
    assert str(Case.objects.get().request_date) == "2024-03-04"


def test_duplicate_references_in_one_file_are_errors(world):
    job = check(world.fr_caseworker, upload(world.fr_caseworker, csv_bytes(
        [CASE_ROW, {**CASE_ROW, "subject_full_name": "Other"}])))
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "external_reference")]
    assert "row 2" in job.errors[0]["message"]


def test_identifiers_are_sealed_never_quoted_back_and_never_logged(world, tmp_path):
    name, birth = "Planted Xiaoming", "1999-13-45"
    job = check(world.fr_caseworker, upload(world.fr_caseworker, csv_bytes(
        [{**CASE_ROW, "subject_full_name": name, "subject_date_of_birth": birth}])))
    assert [e["field"] for e in job.errors] == ["subject_date_of_birth"]
    assert birth not in str(job.errors) and name not in str(job.errors)
    job = imported(world.fr_caseworker, csv_bytes([{**CASE_ROW, "subject_full_name": name}]))
    assert job.status == "done"
    stored = Subject.objects.values_list("full_name", flat=True).get()
    assert name not in stored and stored.startswith("em1:")
    for event in AuditEvent.objects.all():
        assert name not in f"{event.object_repr} {event.detail} {event.changed_fields}"
    # Once imported, the upload is deleted.
    assert not (tmp_path / "media" / "imports" / f"{job.pk}.sealed").exists()
