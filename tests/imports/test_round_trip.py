"""Cases exported by one organisation and imported by another come back as the same rows; and
assurances and proceedings follow their cases in by the organisation's own references."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import TestCase

from cases.models import Assurance, Case, ProceedingEvent
from cases.services.cases import case_transition
from imports.jobs import uploads_purge
from imports.models import ImportJob
from reporting.exports.services import export_open, export_request
from tests.factories import CaseFactory, SubjectFactory

from .support import CASE_ROW, csv_bytes, imported, upload

pytestmark = pytest.mark.django_db
# What differs between organisations by nature: their own numbering, the owner, the moment of
# entry, and the person's pseudonymous reference.
OWN = {"reference", "owner", "created_at", "subject_reference"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _exported(user) -> list[dict]:
    with TestCase.captureOnCommitCallbacks(execute=True):
        export = export_request(actor=user, kind="cases", format="csv", include_identifiers=True)
    export.refresh_from_db()
    with export_open(actor=user, export=export) as handle:
        text = handle.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_exported_cases_import_into_another_organisation_as_the_same_rows(world):
    for index, status in enumerate(["request_received", "judicial_phase", "executive_decision"]):
        subject = SubjectFactory(owner=world.ngo_fr, full_name=f"Person {index}",
                                 other_names=f"Alias {index}")
        case = CaseFactory(owner=world.ngo_fr, subject=subject, request_date=datetime.date(
            2024, 1, index + 1), interpol_notice="red", interpol_reference=f"2024/{index}")
        if status != "request_received":
            case_transition(actor=world.fr_caseworker, case=case, to="judicial_phase",
                            on=case.request_date)
        if status == "executive_decision":
            case.refresh_from_db()
            case_transition(actor=world.fr_caseworker, case=case, to="executive_decision",
                            on=case.request_date)
    source = _exported(world.fr_admin)
    assert len(source) == 3
    content = csv_bytes(source)
    job = imported(world.it_caseworker, content)
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.counts == {"create": 3}
    copied = _exported(world.it_admin)

    def key(rows):
        return sorted(({k: v for k, v in row.items() if k not in OWN} for row in rows),
                      key=lambda row: row["subject_full_name"])

    assert key(copied) == key(source)
    assert Case.objects.filter(owner=world.ngo_it).count() == 3
    again = imported(world.it_caseworker, content)
    assert again.counts == {"unchanged": 3}
    assert key(_exported(world.it_admin)) == key(source)


def test_assurances_and_proceedings_follow_their_case_by_reference(world):
    imported(world.fr_caseworker, csv_bytes([CASE_ROW]))
    case = Case.objects.get()
    assurances = csv_bytes([{
        "reference": "A-1", "case": "NGO-1", "type": "no_death_penalty",
        "verbatim_text": "The death penalty will not be sought.", "form": "diplomatic_note",
        "issuer": "Ministry of Foreign Affairs", "issuer_level": "central_government",
        "given_on": "2024-02-01"}, {
        "reference": "A-2", "case": case.reference, "type": "fair_trial",
        "verbatim_text": "A fair trial.", "form": "diplomatic_note", "issuer": "Ministry",
        "issuer_level": "central_government", "given_on": ""}])
    job = imported(world.fr_caseworker, assurances, kind="assurances", name="a.csv")
    assert job.status == "done", job.errors
    assert set(case.assurances.values_list("type", flat=True)) == {"no_death_penalty",
                                                                     "fair_trial"}
    assert imported(world.fr_caseworker, assurances, kind="assurances",
                    name="a.csv").counts == {"unchanged": 2}
    changed = assurances.replace(b"A fair trial.", b"A fair and public trial.")
    assert imported(world.fr_caseworker, changed, kind="assurances",
                    name="a.csv").counts == {"update": 1, "unchanged": 1}
    assert Assurance.objects.get(type="fair_trial").verbatim_text == "A fair and public trial."
    proceedings = csv_bytes([{"reference": "P-1", "case": "NGO-1", "kind": "hearing",
                              "date": "2024-03-01", "authority": "Cour d'appel"},
                             {"reference": "P-2", "case": "NOPE", "kind": "hearing",
                              "date": "2024-03-01", "authority": ""}])
    job = imported(world.fr_caseworker, proceedings, kind="proceedings", name="p.csv")
    assert [(e["row"], e["field"]) for e in job.errors] == [(3, "case_reference")]
    assert not ProceedingEvent.objects.exists()


def test_a_case_of_another_organisation_cannot_be_named(world):
    imported(world.fr_caseworker, csv_bytes([CASE_ROW]))
    theirs = Case.objects.get()
    job = imported(world.it_caseworker, csv_bytes([{
        "reference": "A-1", "case": theirs.reference, "type": "fair_trial",
        "verbatim_text": "x", "form": "diplomatic_note", "issuer": "y",
        "issuer_level": "central_government"}]), kind="assurances", name="a.csv")
    assert [e["field"] for e in job.errors] == ["case_reference"]
    assert not Assurance.objects.exists()


def test_uploads_nobody_imports_are_purged(world, settings):
    job = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))
    assert uploads_purge()["discarded"] == 0
    later = job.created_at + datetime.timedelta(days=settings.IMPORT_RETENTION_DAYS + 1)
    assert uploads_purge(now=later)["discarded"] == 1
    job.refresh_from_db()
    assert job.status == "discarded" and job.file == ""
