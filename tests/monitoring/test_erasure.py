"""Erasure that keeps the record: the subject's data key destroyed, every copy of its
identifiers unreadable, its cases still counted, the audit chain intact; and retention that
erases by itself, after a notice."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test import Client

from cases import audit, keyring, services
from cases.models import AuditEvent, Case, DataKey, Subject
from monitoring.models import CheckReport, Evidence, Finding, Notification
from monitoring.retention import sweep_retention
from reporting.record import compliance_record

from .. import evidence_samples as samples
from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, SubjectFactory, sign_in_with_two_factors
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    TODAY,
    close_monitoring,
    first_visit,
    freeze,
    monitored_case,
    submit,
    upload,
)

NAME = "Wenhua Planted-Erasename"
S = Case.Status


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def erasable(world, media):
    """A monitored case of ngo_fr with a report, a finding, a comment and an evidence file, all
    of whose free text names the person."""
    subject = SubjectFactory(owner=world.ngo_fr, full_name=NAME, other_names="Planted Alias",
                             notes="Planted erasenote")
    case = monitored_case(world, surrender=TODAY - 5 * DAY, subject=subject,
                          interpol_reference="RN-ERASE-1", legal_basis_note=f"About {NAME}")
    assurance = AssuranceFactory(case=case, type="no_torture")
    report = submit(world, first_visit(case), checked_at=NOW - HOUR,
                    narrative=f"Met {NAME} in private.",
                    findings=[{"assurance": assurance, "outcome": "breach", "severity": "high",
                               "confidence": "high",
                               "evidence_summary": f"{NAME} reports beatings."}])
    response = api_client(world.fr_caseworker).post("/api/v1/evidence/", {
        "report": str(report.pk), "file": upload("visit.png", samples.image("PNG"))},
        format="multipart")
    assert response.status_code == 201, response.content
    return subject, case, report, Evidence.objects.get(pk=response.json()["id"])


def _erase(user, subject, status=200, reason="data_protection_request"):
    response = api_client(user).post(f"/api/v1/subjects/{subject.pk}/erase/",
                                     {"reason": reason}, format="json")
    assert response.status_code == status, response.content
    return response


def _dump() -> str:
    """What a database dump would hold: every row of every table the erasure touches."""
    tables = ["cases_subject", "cases_case", "cases_casetransition", "monitoring_checkreport",
              "monitoring_finding", "monitoring_evidence", "cases_auditevent"]
    out = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            out.append(repr(cursor.fetchall()))
    return "\n".join(out)


def test_only_an_org_admin_of_the_owner_erases(world, erasable):
    subject = erasable[0]
    for user in (world.fr_caseworker, world.fr_liaison, world.fr_auditor):
        _erase(user, subject, status=403)
    _erase(world.de_admin, subject, status=404)
    _erase(world.fr_admin, subject, reason="forgotten", status=400)
    assert Subject.objects.get(pk=subject.pk).erased_at is None
    _erase(world.fr_admin, subject)
    assert _erase(world.fr_admin, subject, status=400).json()["subject"]


def test_an_erased_subject_answers_no_name_anywhere_and_no_copy_opens(world, erasable):
    subject, case, report, evidence = erasable
    # A backup taken before: the sealed values as stored.
    backup = {
        "full_name": Subject.objects.filter(pk=subject.pk).values_list("full_name", flat=True)
        .get(),
        "narrative": CheckReport.objects.filter(pk=report.pk).values_list("narrative", flat=True)
        .get(),
    }
    assert backup["full_name"].reveal() == NAME
    body = _erase(world.fr_admin, subject).json()
    assert body["full_name"] == "" and body["erasure_reason"] == "data_protection_request"
    assert body["erased_at"]

    with keyring.scope():
        assert backup["full_name"].reveal() is None
        assert backup["narrative"].reveal() is None
    assert DataKey.objects.get(pk=subject.data_key_id).wrapped in (b"", memoryview(b""))
    dump = _dump()
    for planted in ("Erasename", "Alias", "erasenote", "RN-ERASE"):
        assert planted not in dump

    client = api_client(world.fr_caseworker)
    assert client.get("/api/v1/subjects/", {"q": NAME}).json()["results"] == []
    assert client.get("/api/v1/cases/", {"q": "Erasename"}).json()["results"] == []
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["interpol_reference"] == "" and detail["legal_basis_note"] == ""
    reports = client.get("/api/v1/reports/", {"case": str(case.pk)}).json()["results"]
    assert reports and all(r["narrative"] == "" for r in reports)
    findings = client.get("/api/v1/findings/", {"case": str(case.pk)}).json()["results"]
    assert all(f.get("evidence_summary", "") == "" for f in findings)

    web = Client()
    sign_in_with_two_factors(web, world.fr_caseworker)
    for url in (f"/subjects/{subject.pk}/", f"/cases/{case.pk}/", "/cases/"):
        page = web.get(url).content.decode()
        assert "Erasename" not in page
    assert "were erased on" in web.get(f"/subjects/{subject.pk}/").content.decode()

    export = client.post("/api/v1/exports/", {"kind": "cases", "format": "csv",
                                              "include_identifiers": True}, format="json")
    assert export.status_code == 201, export.content
    content = b"".join(client.get(
        f"/api/v1/exports/{export.json()['id']}/download/").streaming_content).decode()
    row = next(r for r in csv.DictReader(io.StringIO(content.lstrip("\ufeff")))
               if r["reference"] == case.reference)
    assert row["subject_full_name"] == "" and "Erasename" not in content


def test_the_evidence_file_is_deleted_and_its_hash_kept(world, erasable, media):
    subject, _case, _report, evidence = erasable
    path = media / evidence.file.name
    assert path.exists()
    with django_capture_on_commit():
        _erase(world.fr_admin, subject)
    assert not path.exists()
    kept = Evidence.objects.get(pk=evidence.pk)
    assert kept.sha256 == evidence.sha256 and kept.size == evidence.size
    assert kept.erased_at is not None and kept.original_name == ""
    response = api_client(world.fr_caseworker).get(f"/api/v1/evidence/{evidence.pk}/download/")
    assert response.status_code == 410


def test_the_record_keeps_counting_and_the_audit_chain_verifies(world, erasable):
    subject, case, _report, _evidence = erasable
    counted = Finding.objects.filter(case=case).count()
    before = compliance_record(world.fr_admin, group_by=("assurance_type",))
    _erase(world.fr_admin, subject)
    assert Finding.objects.filter(case=case).count() == counted
    assert compliance_record(world.fr_admin, group_by=("assurance_type",)) == before
    assert audit.verify_chain().ok
    event = AuditEvent.objects.filter(action=AuditEvent.Action.ERASED).get()
    assert (event.actor_id, event.object_id, event.detail) == (
        world.fr_admin.pk, str(subject.pk), {"reason": "data_protection_request"})
    assert NAME not in repr(AuditEvent.objects.values_list())


def test_no_identifier_is_recorded_again_for_an_erased_subject(world, erasable):
    subject = erasable[0]
    _erase(world.fr_admin, subject)
    subject.refresh_from_db()
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/subjects/{subject.pk}/", {"full_name": "Back Again", "version": subject.version},
        format="json")
    assert response.status_code == 400 and "full_name" in response.json()
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/subjects/{subject.pk}/", {"reprisal_risk": True, "version": subject.version},
        format="json")
    assert response.status_code == 200


def test_the_web_page_erases_after_a_confirmation(world, erasable):
    subject = erasable[0]
    web = Client()
    sign_in_with_two_factors(web, world.fr_admin)
    url = f"/subjects/{subject.pk}/erase/"
    assert url in web.get(f"/subjects/{subject.pk}/").content.decode()
    assert web.post(url, {"reason": "death"}).status_code == 400
    assert Subject.objects.get(pk=subject.pk).erased_at is None
    assert web.post(url, {"reason": "death", "understood": "on"}).status_code == 302
    assert Subject.objects.get(pk=subject.pk).erasure_reason == "death"
    caseworker = Client()
    sign_in_with_two_factors(caseworker, world.fr_caseworker)
    assert caseworker.get(url).status_code == 403


# --- retention -------------------------------------------------------------------------------


def _closed_case(world, *, closed_on: datetime.date, name: str) -> Case:
    subject = SubjectFactory(owner=world.ngo_fr, full_name=name)
    case = monitored_case(world, surrender=closed_on - 40 * DAY, subject=subject)
    close_monitoring(case, actor=world.fr_caseworker, on=closed_on)
    return case


def test_retention_erases_after_a_notice_thirty_days_before(world, media):
    services.organisation_retention_set(actor=world.fr_admin, organisation=world.ngo_fr,
                                        years=2)
    due = _closed_case(world, closed_on=TODAY - 3 * 365 * DAY, name="Due Retentionperson")
    soon = _closed_case(world, closed_on=TODAY - 2 * 365 * DAY + 20 * DAY,
                        name="Soon Retentionperson")
    recent = _closed_case(world, closed_on=TODAY - 100 * DAY, name="Recent Retentionperson")
    CaseFactory(owner=world.ngo_fr)  # never closed: kept

    # Day 0: the admins are told about both whose retention ends within 30 days; nothing is
    # erased yet, even where retention ended long ago.
    report = sweep_retention(TODAY)
    assert (report.notices, report.erased) == (2, 0)
    notices = Notification.objects.filter(kind=Notification.Kind.RETENTION_NOTICE)
    assert {(n.recipient_id, n.case_id) for n in notices} == {
        (world.fr_admin.pk, due.pk), (world.fr_admin.pk, soon.pk)}
    assert all("Retentionperson" not in n.body for n in notices)
    assert sweep_retention(TODAY).notices == 0
    assert sweep_retention(TODAY + 29 * DAY).erased == 0
    # Thirty days on, both are erased; the recent one is kept.
    assert sweep_retention(TODAY + 30 * DAY).erased == 2
    erased = set(Subject.objects.exclude(erased_at=None).values_list("pk", flat=True))
    assert erased == {due.subject_id, soon.subject_id}
    assert recent.subject_id not in erased
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ERASED)
    assert [(e.detail, e.actor_id) for e in events] == [({"reason": "end_of_retention"}, None)] * 2


def test_no_retention_set_erases_nothing(world, media):
    _closed_case(world, closed_on=TODAY - 30 * 365 * DAY, name="Old Person")
    assert sweep_retention(TODAY).erased == 0
    assert not Subject.objects.exclude(erased_at=None).exists()


def test_only_an_org_admin_sets_retention_and_the_page_says_so(world):
    web = Client()
    sign_in_with_two_factors(web, world.fr_admin)
    response = web.post("/accounts/organisation/", {"mfa_required": "on", "retention_years": "0"})
    assert response.status_code == 400
    response = web.post("/accounts/organisation/", {"mfa_required": "on", "retention_years": "7"})
    assert response.status_code == 302
    world.ngo_fr.refresh_from_db()
    assert world.ngo_fr.retention_years == 7
    with pytest.raises(services.erasure.PermissionDenied):
        services.organisation_retention_set(actor=world.fr_caseworker,
                                            organisation=world.ngo_fr, years=1)


def django_capture_on_commit():
    """Run the on-commit callbacks of the block (the test's transaction never commits)."""
    from django.test import TestCase

    return TestCase.captureOnCommitCallbacks(execute=True)
