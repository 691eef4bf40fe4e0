"""An export outlived its requester's access: a member removed from its organisation (or whose
organisation left the sharing group) still downloaded the files made before. Now an export is
the requester's only while it may still export for the organisation, and each download checks
that the downloader still sees every record the file holds; otherwise the file is withdrawn
(410, audited)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cases import services as case_services
from cases.models import AuditEvent, Membership, SharingGroupMembership
from cases.models.sharing import TLP, Distribution
from reporting.exports import services as exports
from reporting.models import Export, ExportRecords

from ..conftest import api_client, session_client
from ..factories import AssuranceFactory, CaseFactory
from ..monitoring_helpers import NOW, first_visit, freeze, monitored_case, submit
from .kept_support import kept_ids

pytestmark = pytest.mark.django_db


def download(user, export: Export):
    return api_client(user).get(f"/api/v1/exports/{export.pk}/download/")


def events(action, export: Export):
    return AuditEvent.objects.filter(action=action, object_id=str(export.pk))


@pytest.fixture
def shared_case(world):
    """A case of ngo_fr shared with its group, where ministry_de is a member."""
    return CaseFactory(owner=world.ngo_fr, distribution=Distribution.SHARING_GROUP,
                       sharing_group=world.fr_de_group, tlp=TLP.AMBER, reference="X-shared")


def test_a_file_keeps_the_records_it_holds(world, shared_case):
    own = CaseFactory(owner=world.ministry_de, reference="X-own")
    export = exports.export_request(actor=world.de_caseworker, kind="cases", format="csv")
    assert export.rows_recorded
    assert set(kept_ids(export)) == {shared_case.pk, own.pk}
    response = download(world.de_caseworker, export)
    assert response.status_code == 200 and b"X-shared" in b"".join(response.streaming_content)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_file_of_no_records_keeps_none_and_downloads(world, fmt):
    export = exports.export_request(actor=world.it_caseworker, kind="findings", format=fmt)
    assert (export.rows_recorded, export.row_count, kept_ids(export)) == (True, 0, [])
    assert download(world.it_caseworker, export).status_code == 200


def test_a_record_kept_twice_is_checked_like_once(world, shared_case):
    """The ids are counted against what the downloader sees, each time it was kept."""
    export = exports.export_request(actor=world.de_caseworker, kind="cases", format="csv")
    stored = ExportRecords.objects.get(export=export)
    ExportRecords.objects.filter(export=export).update(ids=bytes(stored.ids) * 2)
    assert len(kept_ids(export)) == 2
    assert download(world.de_caseworker, export).status_code == 200
    shared_case.__class__.objects.filter(pk=shared_case.pk).update(tlp=TLP.RED)
    assert download(world.de_caseworker, export).status_code == 410


def test_a_removed_member_no_longer_reaches_its_exports(world, shared_case):
    export = exports.export_request(actor=world.de_caseworker, kind="cases", format="json")
    case_services.membership_delete(
        actor=world.de_admin,
        membership=Membership.objects.get(user=world.de_caseworker))
    # The API no longer takes the person's token; signed in, it finds nothing.
    client = session_client(world.de_caseworker)
    assert client.get(f"/api/v1/exports/{export.pk}/").status_code == 404
    assert client.get(f"/api/v1/exports/{export.pk}/download/").status_code == 404
    assert client.get("/api/v1/exports/").json()["results"] == []


def test_a_file_whose_rows_left_the_requesters_view_is_withdrawn(world, shared_case):
    export = exports.export_request(actor=world.de_caseworker, kind="cases", format="csv")
    stored = export.file.name
    # Ministry_de leaves the group: the shared case is no longer the requester's to see.
    SharingGroupMembership.objects.filter(organisation=world.ministry_de).delete()
    response = download(world.de_caseworker, export)
    assert response.status_code == 410
    assert "withdrawn" in response.json()["detail"]
    export.refresh_from_db()
    assert export.status == Export.Status.WITHDRAWN and not export.file
    assert not export.file.storage.exists(stored)
    assert not ExportRecords.objects.filter(export=export).exists()
    assert events(AuditEvent.Action.WITHDRAW, export).get().detail["reason"] == "rows_left_view"
    # It stays withdrawn, even if the case were shared again.
    SharingGroupMembership.objects.create(group=world.fr_de_group,
                                          organisation=world.ministry_de)
    assert download(world.de_caseworker, export).status_code == 410


def test_an_auditor_who_no_longer_sees_a_row_is_refused_and_the_file_stays(world):
    case = CaseFactory(owner=world.ngo_fr, tlp=TLP.AMBER)
    case.named_recipients.add(world.fr_caseworker)
    export = exports.export_request(actor=world.fr_caseworker, kind="cases", format="csv")
    # The case becomes RED, named to the requester alone: the auditor no longer sees it.
    type(case).objects.filter(pk=case.pk).update(tlp=TLP.RED)
    assert download(world.fr_auditor, export).status_code == 410
    assert events(AuditEvent.Action.ACCESS_DENIED, export).get().actor_id == world.fr_auditor.pk
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    # RED never leaves in bulk: the requester's own download withdraws the file.
    assert download(world.fr_caseworker, export).status_code == 410


def test_an_export_with_identifiers_needs_the_right_to_see_them_at_download(world):
    CaseFactory(owner=world.ngo_fr)
    export = exports.export_request(actor=world.fr_caseworker, kind="cases", format="csv",
                                    include_identifiers=True)
    assert download(world.fr_caseworker, export).status_code == 200
    membership = Membership.objects.get(user=world.fr_caseworker, organisation=world.ngo_fr)
    case_services.membership_update(actor=world.fr_admin, membership=membership,
                                    version=membership.version, role="auditor")
    assert download(world.fr_caseworker, export).status_code == 410


def test_a_compliance_export_is_withdrawn_when_a_counted_finding_leaves(world, time_machine):
    freeze(time_machine)
    case = monitored_case(world, distribution=Distribution.SHARING_GROUP,
                          sharing_group=world.fr_de_group, tlp=TLP.AMBER)
    assurance = AssuranceFactory(case=case)
    report = submit(world, first_visit(case), checked_at=NOW, findings=[
        {"assurance": assurance, "outcome": "complied", "severity": "low"}])
    finding = report.findings.get()
    finding.__class__.objects.filter(pk=finding.pk).update(
        distribution=Distribution.SHARING_GROUP, sharing_group=world.fr_de_group)
    export = exports.export_request(actor=world.de_liaison, kind="compliance", format="json")
    assert finding.pk in kept_ids(export)
    assert download(world.de_liaison, export).status_code == 200
    finding.__class__.objects.filter(pk=finding.pk).update(
        distribution=Distribution.ORGANISATION, sharing_group=None)
    assert download(world.de_liaison, export).status_code == 410


def test_a_file_made_before_downloads_were_checked_is_not_handed_out(world):
    CaseFactory(owner=world.ngo_fr)
    export = exports.export_request(actor=world.fr_caseworker, kind="cases", format="csv")
    Export.objects.filter(pk=export.pk).update(rows_recorded=False)
    assert download(world.fr_caseworker, export).status_code == 410


def test_the_web_download_says_the_file_was_withdrawn(world, shared_case):
    export = exports.export_request(actor=world.de_caseworker, kind="cases", format="csv")
    SharingGroupMembership.objects.filter(organisation=world.ministry_de).delete()
    client = Client()
    client.force_login(world.de_caseworker)
    response = client.get(reverse("reporting:export_download", args=[export.pk]))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    page = client.get(reverse("reporting:export_detail", args=[export.pk])).content.decode()
    assert "withdrawn" in page.lower()


def test_an_export_notice_is_sent_while_its_requester_sees_the_export_and_withheld_after(world):
    from monitoring import delivery
    from monitoring.models import Notification

    export = exports.export_request(actor=world.fr_caseworker, kind="cases", format="csv")
    notices = [
        Notification.objects.create(
            recipient=world.fr_caseworker, kind=Notification.Kind.EXPORT_READY,
            export=export.pk, dedup_key=f"export_ready:{n}", subject="s", body="b")
        for n in range(2)
    ]
    # A notice about no case that no app answers for is never sent.
    orphan = Notification.objects.create(
        recipient=world.fr_caseworker, kind=Notification.Kind.DUE, dedup_key="orphan",
        subject="s", body="b")

    assert delivery.deliver(notices[0].pk) == "sent"
    assert delivery.deliver(orphan.pk) == "withheld"
    Membership.objects.filter(user=world.fr_caseworker).delete()
    assert delivery.deliver(notices[1].pk) == "withheld"
