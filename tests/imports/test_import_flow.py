"""An import from upload to commit: what a check finds and keeps, what a commit writes, and a
second import of the same file, which changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import AuditEvent, Case, Subject
from imports.models import ExternalReference, ImportJob
from tests.conftest import api_client

from .support import CASE_ROW, check, commit, csv_bytes, imported, upload

pytestmark = pytest.mark.django_db(transaction=False)
Status = ImportJob.Status


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_headers_are_mapped_and_the_check_writes_nothing(world):
    job = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))
    assert job.mapping["reference"] == "external_reference"
    assert job.mapping["offences"] == "offence_description"
    assert job.rows == 1
    audit_before = AuditEvent.objects.count()
    job = check(world.fr_caseworker, job)
    assert job.status == Status.CHECKED, job.errors
    assert job.counts == {"create": 1}
    assert not Case.objects.exists() and not Subject.objects.exists()
    assert AuditEvent.objects.count() == audit_before


def test_commit_creates_the_records_and_a_second_import_changes_nothing(world):
    content = csv_bytes([CASE_ROW, {**CASE_ROW, "reference": "NGO-2",
                                    "subject_full_name": "Li Na", "status": ""}])
    job = imported(world.fr_caseworker, content)
    assert job.status == Status.DONE, (job.errors, job.message)
    case = Case.objects.get(status="judicial_phase")
    assert case.owner == world.ngo_fr and case.caseworker == world.fr_caseworker
    assert case.subject.full_name == "Zhang Weiming"
    assert list(case.offences.values_list("description", "category")) == [
        ("Fraud", "economic_corruption")]
    assert case.transitions.count() == 1
    assert Case.objects.get(status="request_received").subject.full_name == "Li Na"
    event = AuditEvent.objects.get(action="import")
    assert event.detail["counts"] == {"create": 2} and event.detail["sha256"] == job.sha256
    assert "Zhang" not in str(event.detail)
    audit_before = AuditEvent.objects.count()
    again = imported(world.fr_caseworker, content)
    assert again.status == Status.DONE and again.counts == {"unchanged": 2}
    assert Case.objects.count() == 2 and Subject.objects.count() == 2
    assert AuditEvent.objects.count() == audit_before + 1  # the import event alone


def test_a_changed_row_updates_its_record(world):
    imported(world.fr_caseworker, csv_bytes([CASE_ROW]))
    case = Case.objects.get()
    version = case.version
    job = imported(world.fr_caseworker, csv_bytes([{**CASE_ROW, "request_date": "2024-01-11",
                                                    "status": "assurances_requested"}]))
    assert job.status == Status.DONE, job.errors
    assert job.counts == {"update": 1}
    case.refresh_from_db()
    assert str(case.request_date) == "2024-01-11" and case.status == "assurances_requested"
    assert case.version > version
    assert Case.objects.count() == 1
    assert ExternalReference.objects.filter(target="case").count() == 1


def test_errors_are_per_row_and_field_and_nothing_is_kept(world):
    rows = [CASE_ROW, {**CASE_ROW, "reference": "NGO-2", "requesting_state": "Atlantis",
                       "channel": "teleport"},
            {**CASE_ROW, "reference": "NGO-1"}]
    job = check(world.fr_caseworker, upload(world.fr_caseworker, csv_bytes(rows)))
    found = {(e["row"], e["field"]) for e in job.errors}
    assert (3, "requesting_state") in found and (3, "channel") in found
    assert (4, "external_reference") in found
    assert job.error_count == 2 and job.counts["create"] == 1
    with pytest.raises(ValidationError):
        commit(world.fr_caseworker, job)
    assert not Case.objects.exists()


def test_the_api_takes_a_file_through_upload_mapping_check_and_commit(
        world, django_capture_on_commit_callbacks):
    client = api_client(world.fr_caseworker)
    upload_file = SimpleUploadedFile("mine.csv", csv_bytes([{**CASE_ROW, "Ref": "X-1"}]))
    answer = client.post("/api/v1/imports/", {"kind": "cases", "file": upload_file},
                         format="multipart")
    assert answer.status_code == 201, answer.json()
    job = answer.json()
    assert job["mapping"]["Ref"] == "" and job["mapping"]["reference"] == "external_reference"
    answer = client.post(f"/api/v1/imports/{job['id']}/mapping/", {
        "mapping": {**job["mapping"], "reference": "", "Ref": "external_reference"},
        "save_as": "Our register"}, format="json")
    assert answer.status_code == 200, answer.json()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/imports/{job['id']}/check/")
    assert answer.status_code == 202
    assert client.get(f"/api/v1/imports/{job['id']}/").json()["status"] == "checked"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(f"/api/v1/imports/{job['id']}/commit/")
    assert client.get(f"/api/v1/imports/{job['id']}/").json()["status"] == "done"
    assert Case.objects.count() == 1
    assert ExternalReference.objects.get(target="case").reference == "X-1"
    mappings = client.get("/api/v1/import-mappings/").json()["results"]
    assert [m["name"] for m in mappings] == ["Our register"]
    bad = client.post(f"/api/v1/imports/{job['id']}/mapping/", {"mapping": {"nope": "x"}},
                       format="json")
    assert bad.status_code == 400 and "status" in bad.json()


def test_a_record_changed_after_the_check_is_a_conflict_not_overwritten(world):
    from cases.services.cases import case_update

    imported(world.fr_caseworker, csv_bytes([CASE_ROW]))
    case = Case.objects.get()
    job = check(world.fr_caseworker, upload(world.fr_caseworker, csv_bytes(
        [{**CASE_ROW, "request_date": "2024-01-11"}])))
    assert job.counts == {"update": 1}
    case_update(actor=world.fr_admin, case=case, version=case.version,
                legal_basis_note="Edited by hand")
    job = commit(world.fr_caseworker, job)
    assert job.status == Status.FAILED
    assert [e["field"] for e in job.errors] == ["external_reference"]
    case.refresh_from_db()
    assert case.legal_basis_note == "Edited by hand" and str(case.request_date) == "2024-01-10"


def test_an_unexpected_error_fails_the_import_and_keeps_nothing(world, monkeypatch):
    from imports import jobs, runner

    job = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runner, "run", broken)
    with pytest.raises(RuntimeError):
        jobs.run_job(job.pk, False, world.fr_caseworker)
    job.refresh_from_db()
    assert job.status == Status.FAILED and "unexpected" in job.message
    assert not Case.objects.exists()
