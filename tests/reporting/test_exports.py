"""Exports (issue 5): what leaves the system is what the requester sees, neutralised for
spreadsheets, labelled, recorded with its SHA-256 and verifiable, and gone when it expires.

Records of ngo_fr (France) under test; ministry_de shares the group fr_de_group; ngo_it is
outside. Each case is named for its distribution:
   org      ngo_fr, organisation only, AMBER
   group    ngo_fr, fr_de_group, AMBER
   network  ngo_fr, network, GREEN
   red      ngo_fr, TLP:RED, the French caseworker named
   de_own   ministry_de, organisation only
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from cases.models import AuditEvent
from cases.models.sharing import TLP, Distribution
from monitoring.models import Finding, Notification
from reporting.exports import build
from reporting.models import Export
from reporting.tasks import exports_purge

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, SubjectFactory
from ..monitoring_helpers import NOW, first_visit, freeze, monitored_case, submit

HOSTILE = ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"]


@pytest.fixture
def cases(world):
    made = {}
    specs = {
        "org": (world.ngo_fr, Distribution.ORGANISATION, None, TLP.AMBER),
        "group": (world.ngo_fr, Distribution.SHARING_GROUP, world.fr_de_group, TLP.AMBER),
        "network": (world.ngo_fr, Distribution.NETWORK, None, TLP.GREEN),
        "red": (world.ngo_fr, Distribution.ORGANISATION, None, TLP.RED),
        "de_own": (world.ministry_de, Distribution.ORGANISATION, None, TLP.AMBER),
    }
    for name, (owner, distribution, group, tlp) in specs.items():
        subject = SubjectFactory(owner=owner, full_name=f"Person {name}")
        made[name] = CaseFactory(
            owner=owner, subject=subject, reference=f"X-{name}", distribution=distribution,
            sharing_group=group, tlp=tlp, legal_basis_note=HOSTILE[0],
            interpol_reference=f"IP-{name}",
        )
    made["red"].named_recipients.add(world.fr_caseworker)
    return made


def _request(user, status=201, **body):
    response = api_client(user).post("/api/v1/exports/", body, format="json")
    assert response.status_code == status, response.content
    return response.json()


def _download(user, export_id, status=200):
    response = api_client(user).get(f"/api/v1/exports/{export_id}/download/")
    assert response.status_code == status, getattr(response, "content", b"")[:300]
    return b"".join(response.streaming_content) if status == 200 else response


def _table(fmt: str, content: bytes) -> list[dict]:
    """The rows of a file, as {column: text}."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    if fmt == "json":
        return json.loads(content)["rows"]
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    # Headings are for people; the Columns sheet names each column's field (none for the
    # name of a code).
    fields = [field for _heading, field in workbook["Columns"].iter_rows(min_row=2,
                                                                          values_only=True)]
    values = list(workbook["Data"].iter_rows(values_only=True))
    width = len(values[0])
    # An empty cell is no cell: a row ends at its last value.
    return [{f: v for f, v in zip(fields, row + (None,) * (width - len(row)), strict=True) if f}
            for row in values[1:]]


def _api_references(user) -> set[str]:
    body = api_client(user).get("/api/v1/cases/", {"page_size": 200}).json()
    return {row["reference"] for row in body["results"]}


# --- what leaves is what is seen -------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
@pytest.mark.parametrize("who", ["fr_caseworker", "fr_auditor", "de_liaison", "it_caseworker"])
def test_a_case_export_holds_the_rows_and_fields_the_list_shows(world, cases, fmt, who):
    user = getattr(world, who)
    export = _request(user, kind="cases", format=fmt)
    assert export["status"] == "ready"
    rows = _table(fmt, _download(user, export["id"]))
    references = {row["reference"] for row in rows}
    # Exactly the API list, less RED.
    assert references == _api_references(user) - {"X-red"}
    assert "X-red" not in references
    assert export["row_count"] == len(rows)
    for row in rows:
        owned = row["owner"] == {"fr": "ngo-fr", "de": "ministry-de", "it": "ngo-it"}[who[:2]]
        assert bool(row["interpol_reference"]) == owned, row
        assert bool(row["legal_basis_note"]) == owned, row
        assert "subject_full_name" not in row
    content = _download(user, export["id"])
    for name in ("Person org", "Person group", "Person network", "Person de_own"):
        assert name.encode() not in content


def test_an_export_follows_the_list_filters(world, cases):
    export = _request(world.fr_caseworker, kind="cases", format="json",
                      filters={"distribution": ["network", "sharing_group"]})
    rows = _table("json", _download(world.fr_caseworker, export["id"]))
    assert {r["reference"] for r in rows} == {"X-network", "X-group"}


def test_an_export_takes_the_lists_date_ranges(world, cases):
    from cases.models import Case

    Case.objects.filter(reference="X-group").update(request_date="2026-01-10")
    export = _request(world.fr_caseworker, kind="cases", format="json",
                      filters={"request_date_after": "2026-01-01",
                               "request_date_before": "2026-01-31"})
    assert [r["reference"] for r in _table("json", _download(
        world.fr_caseworker, export["id"]))] == ["X-group"]


def test_red_is_never_in_a_bulk_export_even_for_the_named_person(world, cases):
    assert "X-red" in _api_references(world.fr_caseworker)
    export = _request(world.fr_caseworker, kind="cases", format="csv",
                      filters={"tlp": ["red"]})
    assert export["row_count"] == 0
    assert b"X-red" not in _download(world.fr_caseworker, export["id"])


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_cells_are_neutralised_in_spreadsheets(world, fmt):
    for i, text in enumerate(HOSTILE):
        CaseFactory(owner=world.ngo_fr, reference=f"H-{i}", legal_basis_note=text,
                    interpol_reference=text)
    export = _request(world.fr_caseworker, kind="cases", format=fmt)
    content = _download(world.fr_caseworker, export["id"])
    rows = _table(fmt, content)
    notes = {row["legal_basis_note"] for row in rows}
    # XML reads a carriage return back as a line feed.
    expected = {"'" + text for text in HOSTILE}
    assert notes == (expected if fmt == "csv" else {t.replace("\r", "\n") for t in expected})
    for row in rows:
        for value in row.values():
            assert not (isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"))
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content))["Data"]
        assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_json_keeps_the_text_as_it_is(world):
    CaseFactory(owner=world.ngo_fr, reference="H-json", legal_basis_note=HOSTILE[0])
    export = _request(world.fr_caseworker, kind="cases", format="json")
    rows = _table("json", _download(world.fr_caseworker, export["id"]))
    assert rows[0]["legal_basis_note"] == HOSTILE[0]


# --- identifiers -----------------------------------------------------------------------------


def test_identifiers_only_for_the_owner_who_asks_and_may_see_them(world, cases):
    export = _request(world.fr_caseworker, kind="cases", format="csv", include_identifiers=True)
    rows = _table("csv", _download(world.fr_caseworker, export["id"]))
    # Only ngo_fr's own cases (less RED), each with its subject's name.
    assert {r["reference"] for r in rows} == {"X-org", "X-group", "X-network"}
    assert {r["subject_full_name"] for r in rows} == {"Person org", "Person group",
                                                      "Person network"}
    events = AuditEvent.objects.filter(object_id=export["id"])
    assert set(events.values_list("action", flat=True)) == {"create", "export",
                                                            "view_personal_data", "download"}
    # The partner's liaison may see identifiers of its own organisation only.
    export = _request(world.de_liaison, kind="cases", format="csv", include_identifiers=True)
    rows = _table("csv", _download(world.de_liaison, export["id"]))
    assert [r["subject_full_name"] for r in rows] == ["Person de_own"]


def test_an_auditor_never_gets_identifiers(world, cases):
    before = Export.objects.count()
    response = api_client(world.fr_auditor).post(
        "/api/v1/exports/", {"kind": "cases", "format": "csv", "include_identifiers": True},
        format="json")
    assert response.status_code == 403
    assert Export.objects.count() == before


def test_a_file_with_identifiers_is_the_requesters_alone(world, cases):
    export = _request(world.fr_caseworker, kind="cases", format="csv", include_identifiers=True)
    _download(world.fr_auditor, export["id"], status=404)
    plain = _request(world.fr_caseworker, kind="cases", format="csv")
    _download(world.fr_auditor, plain["id"])


# --- findings --------------------------------------------------------------------------------


def test_a_finding_export_shows_a_summary_only_where_the_owner_marked_it(world,
                                                                         time_machine):
    freeze(time_machine)
    case = monitored_case(world, distribution=Distribution.SHARING_GROUP,
                          sharing_group=world.fr_de_group)
    assurance = AssuranceFactory(case=case, type="no_torture")
    submit(world, first_visit(case), checked_at=NOW, findings=[
        {"assurance": assurance, "outcome": "complied", "severity": "low",
         "evidence_summary": "Seen by doctor X"}])
    finding = Finding.objects.get(assurance=assurance)
    rows = _table("json", _download(world.de_liaison, _request(
        world.de_liaison, kind="findings", format="json")["id"]))
    assert [r["id"] for r in rows] == [str(finding.pk)]
    assert rows[0]["evidence_summary"] is None
    Finding.objects.filter(pk=finding.pk).update(summary_shareable=True)
    rows = _table("json", _download(world.de_liaison, _request(
        world.de_liaison, kind="findings", format="json")["id"]))
    assert rows[0]["evidence_summary"] == "Seen by doctor X"
    assert _request(world.it_caseworker, kind="findings", format="json")["row_count"] == 0


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"kind": "cases", "format": "pdf"}, "format"),
    ({"kind": "cases", "format": "docx"}, "format"),
    ({"kind": "people", "format": "csv"}, "kind"),
    ({"kind": "cases", "format": "csv", "filters": {"nope": 1}}, "filters"),
    ({"kind": "cases", "format": "csv", "filters": {"status": ["flying"]}}, "filters"),
    ({"kind": "cases", "format": "csv", "filters": {"request_date_after": "2026-13-45"}},
     "filters"),
    ({"kind": "cases", "format": "csv", "filters": []}, "filters"),
    # A search may hold a name: it would go into the audit log and the manifest.
    ({"kind": "cases", "format": "csv", "filters": {"q": "Person org"}}, "filters"),
    ({"kind": "compliance", "format": "csv", "filters": {"group_by": ["colour"]}}, "filters"),
    ({"kind": "findings", "format": "csv", "include_identifiers": True},
     "include_identifiers"),
    ({"kind": "cases", "format": "csv", "colour": "red"}, "colour"),
])
def test_bad_requests_are_400_per_field_and_store_nothing(world, body, field):
    before = (Export.objects.count(), AuditEvent.objects.count())
    response = api_client(world.fr_caseworker).post("/api/v1/exports/", body, format="json")
    assert response.status_code == 400, response.content
    # A filter's error is named for the filter: "filters.status".
    assert any(key.split(".")[0] == field for key in response.json()), response.json()
    assert (Export.objects.count(), AuditEvent.objects.count()) == before


def test_a_filter_error_names_the_filter(world):
    response = api_client(world.fr_caseworker).post(
        "/api/v1/exports/", {"kind": "cases", "format": "csv",
                             "filters": {"status": ["flying"], "nope": "x"}}, format="json")
    assert response.status_code == 400
    assert response.json()["filters.nope"] == ["Unknown filter."]


def test_a_member_of_two_organisations_names_the_acting_one(world, cases):
    from ..factories import MembershipFactory

    MembershipFactory(user=world.fr_caseworker, organisation=world.ngo_it, role="caseworker")
    response = api_client(world.fr_caseworker).post(
        "/api/v1/exports/", {"kind": "cases", "format": "csv"}, format="json")
    assert response.status_code == 400
    assert "organisation" in response.json()
    export = _request(world.fr_caseworker, kind="cases", format="csv", organisation="ngo-it")
    assert export["organisation"] == "ngo-it"


# --- the record and the report ---------------------------------------------------------------


def test_the_compliance_record_exports_its_cells(world, time_machine):
    freeze(time_machine)
    case = monitored_case(world)
    assurance = AssuranceFactory(case=case, type="no_torture")
    submit(world, first_visit(case), checked_at=NOW, findings=[
        {"assurance": assurance, "outcome": "complied", "severity": "low"}])
    export = _request(world.fr_auditor, kind="compliance", format="csv",
                      filters={"group_by": ["requesting_state", "assurance_type"]})
    rows = _table("csv", _download(world.fr_auditor, export["id"]))
    # One case: a small cell, "<3" and nothing else.
    assert rows and all(r["cases"] == "<3" and r["suppressed"] == "true" and r["checks"] == ""
                        for r in rows)


def test_the_compliance_report_is_a_pdf_that_verify_export_knows(world, tmp_path, capsys):
    export = _request(world.fr_auditor, kind="compliance", format="pdf")
    content = _download(world.fr_auditor, export["id"])
    assert content.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    call_command("verify_export", str(path))
    assert f"OK: export {export['id']}" in capsys.readouterr().out
    # A byte of the page content changed (the file still opens).
    at = content.index(b"stream") + 40
    path.write_bytes(content[:at] + bytes([content[at] ^ 1]) + content[at + 1:])
    with pytest.raises(SystemExit):
        call_command("verify_export", str(path))
    assert f"ALTERED: the file says it is export {export['id']}" in capsys.readouterr().err


# --- manifest, hash and verification ---------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_the_audit_log_holds_the_files_hash_and_verify_export_checks_it(world, cases, fmt,
                                                                        tmp_path, capsys):
    export = _request(world.fr_auditor, kind="cases", format=fmt,
                      filters={"distribution": ["network"]})
    content = _download(world.fr_auditor, export["id"])
    sha = hashlib.sha256(content).hexdigest()
    assert export["sha256"] == sha
    event = AuditEvent.objects.get(action="export", object_id=export["id"])
    assert event.actor == world.fr_auditor
    assert event.detail["sha256"] == sha
    assert event.detail["rows"] == 1
    assert event.detail["filters"] == {"distribution": ["network"]}
    assert AuditEvent.objects.filter(action="download", object_id=export["id"]).count() == 1

    manifest = api_client(world.fr_auditor).get(
        f"/api/v1/exports/{export['id']}/manifest/").json()
    assert manifest["sha256"] == sha and manifest["rows"] == 1
    assert manifest["requested_by"] == "fr_auditor" and manifest["tlp"] == "GREEN"
    if fmt == "json":
        assert json.loads(content)["manifest"]["export"] == export["id"]

    path = tmp_path / f"export.{fmt}"
    path.write_bytes(content)
    call_command("verify_export", str(path))
    assert f"OK: export {export['id']}" in capsys.readouterr().out

    # One byte changed: in a row's reference where the file stays readable, else anywhere.
    altered = content.replace(b"X-network", b"X-netwark") if fmt != "xlsx" else (
        content[:len(content) // 2] + bytes([content[len(content) // 2] ^ 1])
        + content[len(content) // 2 + 1:])
    assert len(altered) == len(content) and altered != content
    path.write_bytes(altered)
    with pytest.raises(SystemExit) as exit_:
        call_command("verify_export", str(path))
    assert exit_.value.code == 1
    assert ("ALTERED" if fmt == "json" else "") in capsys.readouterr().err


def test_verify_export_knows_no_file_it_did_not_make(tmp_path, db, capsys):
    path = tmp_path / "other.csv"
    path.write_text("reference\nX-1\n")
    with pytest.raises(SystemExit):
        call_command("verify_export", str(path))
    assert "UNKNOWN" in capsys.readouterr().err


def test_a_file_labelled_by_the_strictest_label_it_holds(world, cases):
    export = _request(world.fr_caseworker, kind="cases", format="xlsx")
    assert export["tlp"] == TLP.AMBER
    sheet = load_workbook(io.BytesIO(_download(world.fr_caseworker, export["id"])))["Data"]
    assert sheet.oddHeader.right.text == "TLP:AMBER"


# --- large exports, expiry -------------------------------------------------------------------


def test_a_large_export_is_built_by_a_worker_with_progress_and_a_notice(
        world, cases, settings, django_capture_on_commit_callbacks):
    from reporting.tasks import export_build_task

    settings.EXPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        export = _request(world.fr_caseworker, kind="cases", format="csv")
    assert export["status"] == "queued" and len(callbacks) == 1
    assert export["row_count"] == 3
    _download(world.fr_caseworker, export["id"], status=409)
    assert export_build_task(export["id"]) == "ready"
    # A second delivery of the same task does nothing.
    assert export_build_task(export["id"]) == "skipped"
    detail = api_client(world.fr_caseworker).get(f"/api/v1/exports/{export['id']}/").json()
    assert (detail["status"], detail["progress"], detail["row_count"]) == ("ready", 100, 3)
    notice = Notification.objects.get(kind="export_ready", recipient=world.fr_caseworker)
    assert export["id"] in notice.body and notice.case_id is None
    listed = api_client(world.fr_caseworker).get("/api/v1/notifications/").json()["results"]
    assert [n["id"] for n in listed] == [notice.pk]


def test_a_build_whose_worker_died_is_taken_again(world, cases, settings,
                                                  django_capture_on_commit_callbacks,
                                                  time_machine):
    freeze(time_machine)
    settings.EXPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=False):
        export = _request(world.fr_caseworker, kind="cases", format="csv")
    Export.objects.filter(pk=export["id"]).update(status="running", started_at=NOW)
    assert build.export_build(export_id=export["id"]) == "skipped"
    time_machine.move_to(NOW + datetime.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert exports_purge()["requeued"] == 1
    assert Export.objects.get(pk=export["id"]).status == "ready"


def test_expired_exports_are_gone(world, cases, time_machine):
    freeze(time_machine)
    export = _request(world.fr_caseworker, kind="cases", format="csv")
    stored = Export.objects.get(pk=export["id"])
    assert stored.file.storage.exists(stored.file.name)
    time_machine.move_to(NOW + datetime.timedelta(days=7, minutes=1))
    response = _download(world.fr_caseworker, export["id"], status=410)
    assert "expired" in response.json()["detail"]
    assert exports_purge() == {"expired": 1, "requeued": 0}
    assert not stored.file.storage.exists(stored.file.name)
    assert Export.objects.get(pk=export["id"]).status == "expired"
    _download(world.fr_caseworker, export["id"], status=410)
    assert exports_purge() == {"expired": 0, "requeued": 0}


def test_a_requester_who_left_gets_no_file_built(world, cases, settings,
                                                 django_capture_on_commit_callbacks):
    from cases.models import Membership

    settings.EXPORT_INLINE_MAX_ROWS = 1
    with django_capture_on_commit_callbacks(execute=False):
        export = _request(world.fr_caseworker, kind="cases", format="csv")
    Membership.objects.filter(user=world.fr_caseworker).delete()
    assert build.export_build(export_id=export["id"]) == "failed"
    stored = Export.objects.get(pk=export["id"])
    assert stored.status == "failed" and not stored.file
