"""Evidence files of a check report through /api/v1/: stored with the digest, size and type of
their content, refused when disallowed, empty or too large, uploaded by the owning organisation
only, and downloaded by the owner only, even on a case shared with the network.

ngo_fr owns the monitored case, shared with ministry_de through `fr_de_group`; ngo_it is the
outsider. The clock is frozen at NOW.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cases.models import AuditEvent
from cases.models.sharing import TLP, Distribution
from monitoring.models import (
    Evidence,
)

from ..conftest import api_client
from ..monitoring_helpers import (
    DAY,
    ELF,
    HOUR,
    NOW,
    PDF,
    PNG,
    TODAY,
    ZIP,
    first_visit,
    freeze,
    monitored_case,
    snapshot,
    submit,
    upload,
)
from .test_monitoring_api import ids, monitoring_records


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def rec(world):
    return monitoring_records(world)


# --- evidence --------------------------------------------------------------------------------


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def report(rec):
    return submit(rec.world, rec.visit, checked_at=NOW - HOUR)


def post_evidence(user, report, file, **extra):
    return api_client(user).post("/api/v1/evidence/", {
        "report": str(report.pk), "file": file, "classification": "restricted", **extra,
    }, format="multipart")


@pytest.mark.parametrize("name, content, detected", [
    ("visit-scan.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
    ("looks-like-a.pdf", PNG, "image/png"),  # the name says PDF; the content says PNG
])
def test_evidence_is_stored_with_its_digest_size_and_the_type_of_its_content(
    rec, report, media, name, content, detected
):
    response = post_evidence(rec.world.fr_caseworker, report,
                             upload(name, content, "application/pdf"))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    assert data["size"] == len(content)
    assert data["content_type"] == detected
    assert data["original_name"] == name and data["classification"] == "restricted"
    evidence = Evidence.objects.get(pk=data["id"])
    assert evidence.case == rec.case and evidence.uploaded_by == rec.world.fr_caseworker
    (stored,) = stored_files(media)
    assert stored.read_bytes() == content
    assert name not in str(stored)


@pytest.mark.parametrize("name, content", [
    ("archive.pdf", ZIP),
    ("program.pdf", ELF),
    ("empty.pdf", b""),
])
def test_a_disallowed_or_empty_file_is_refused_and_nothing_is_stored(
    rec, report, media, name, content
):
    before = snapshot()
    response = post_evidence(rec.world.fr_caseworker, report, upload(name, content))
    assert response.status_code == 400, response.content
    assert "file" in response.json()
    assert snapshot() == before
    assert stored_files(media) == []


def test_an_oversized_file_is_refused_and_nothing_is_stored(rec, report, media, settings):
    settings.EVIDENCE_MAX_BYTES = limit = len(PDF) + 10
    before = snapshot()
    response = post_evidence(rec.world.fr_caseworker, report, upload("big.pdf", PDF + b" " * 11))
    assert response.status_code == 400, response.content
    assert "file" in response.json()
    assert snapshot() == before
    assert stored_files(media) == []
    # At the limit exactly, it is accepted.
    exact = PDF + b" " * (limit - len(PDF))
    response = post_evidence(rec.world.fr_caseworker, report, upload("ok.pdf", exact))
    assert response.status_code == 201


def test_only_the_owning_organisation_uploads_evidence(rec, media):
    # With a finding, the report reaches the partner, who still may not add to it.
    report = submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
        {"assurance": rec.access, "outcome": "complied", "severity": "low"}])
    for user, status in (("de_caseworker", 403), ("fr_auditor", 403), ("it_caseworker", 400)):
        response = post_evidence(getattr(rec.world, user), report, upload("a.pdf", PDF))
        assert response.status_code == status, (user, response.content)
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_evidence_is_downloaded_by_the_owner_only_even_on_a_network_shared_case(
    rec, media, world
):
    case = monitored_case(world, surrender=TODAY - 5 * DAY, distribution=Distribution.NETWORK,
                          tlp=TLP.GREEN)
    shared_report = submit(world, first_visit(case), checked_at=NOW - HOUR)
    created = post_evidence(world.fr_caseworker, shared_report, upload("scan.pdf", PDF))
    assert created.status_code == 201
    url = f"/api/v1/evidence/{created.json()['id']}/download/"

    response = api_client(world.fr_caseworker).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    # Each download is an audit event, as from the web page.
    assert AuditEvent.objects.filter(action="evidence_download",
                                     object_id=created.json()["id"]).count() == 1

    for user in (world.de_caseworker, world.de_liaison, world.it_caseworker, world.it_admin):
        client = api_client(user)
        # The partner and the outsider see the case and its report, never the file.
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
        assert client.get(url).status_code == 404, user
        assert client.get(f"/api/v1/evidence/{created.json()['id']}/").status_code == 404
        assert ids(client.get("/api/v1/evidence/")) == set()
