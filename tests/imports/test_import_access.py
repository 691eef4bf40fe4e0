"""Who may import, and who learns of an import: every role of the importing organisation, a
sharing partner and an outsider, against every import endpoint."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from cases.models import Membership
from imports.models import ColumnMapping
from tests.conftest import api_client

from .support import CASE_ROW, csv_bytes, upload

pytestmark = pytest.mark.django_db

# The API's import endpoints, each exercised below for every role of the importing organisation,
# a sharing partner (de) and an outsider (it); the access matrix counts them as covered here.
API_NAMES = {"import-list", "import-detail", "import-check", "import-commit", "import-mapping",
             "import-mapping-list", "import-mapping-detail", "import-mapping-fields"}
IMPORTERS = ("fr_caseworker", "fr_admin")
OTHERS = ("fr_liaison", "fr_auditor", "de_caseworker", "de_admin", "de_liaison", "de_auditor",
          "it_caseworker", "it_admin", "it_liaison", "it_auditor")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def job(world):
    made = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))
    ColumnMapping.objects.create(organisation=world.ngo_fr, kind="cases", name="Ours",
                                 columns={"reference": "external_reference"})
    return made


@pytest.mark.parametrize("who", IMPORTERS + ("fr_liaison", "fr_auditor"))
def test_only_caseworkers_and_org_admins_upload(world, who):
    answer = api_client(getattr(world, who)).post(
        "/api/v1/imports/", {"kind": "cases", "file": SimpleUploadedFile(
            "x.csv", csv_bytes([CASE_ROW]))}, format="multipart")
    assert answer.status_code == (201 if who in IMPORTERS else 403), answer.json()


@pytest.mark.parametrize("who", IMPORTERS)
def test_the_importer_and_its_org_admin_see_the_import(world, job, who):
    client = api_client(getattr(world, who))
    assert client.get(f"/api/v1/imports/{job.pk}/").status_code == 200
    assert [j["id"] for j in client.get("/api/v1/imports/").json()["results"]] == [str(job.pk)]
    assert [m["name"] for m in client.get("/api/v1/import-mappings/").json()["results"]] == [
        "Ours"]


@pytest.mark.parametrize("who", OTHERS)
def test_everyone_else_gets_404_everywhere(world, job, who):
    client = api_client(getattr(world, who))
    mapping = ColumnMapping.objects.get()
    assert client.get("/api/v1/imports/").json()["results"] == []
    assert client.get("/api/v1/import-mappings/").json()["results"] == []
    for method, url in [("get", f"/api/v1/imports/{job.pk}/"),
                        ("post", f"/api/v1/imports/{job.pk}/mapping/"),
                        ("post", f"/api/v1/imports/{job.pk}/check/"),
                        ("post", f"/api/v1/imports/{job.pk}/commit/"),
                        ("delete", f"/api/v1/imports/{job.pk}/"),
                        ("get", f"/api/v1/import-mappings/{mapping.pk}/"),
                        ("delete", f"/api/v1/import-mappings/{mapping.pk}/")]:
        answer = getattr(client, method)(url, {}, format="json")
        assert answer.status_code == 404, (method, url, answer.status_code)
    job.refresh_from_db()
    assert job.status == "uploaded" and ColumnMapping.objects.exists()


def test_a_saved_mapping_of_another_organisation_cannot_be_applied(world, job):
    theirs = ColumnMapping.objects.create(organisation=world.ministry_de, kind="cases",
                                          name="Theirs", columns={})
    answer = api_client(world.fr_caseworker).post(
        "/api/v1/imports/", {"kind": "cases", "mapping": theirs.pk, "file": SimpleUploadedFile(
            "x.csv", csv_bytes([CASE_ROW]))}, format="multipart")
    assert answer.status_code == 400 and "mapping" in answer.json()


def test_an_importer_who_leaves_the_organisation_loses_the_import(world, job):
    Membership.objects.filter(user=world.fr_caseworker).delete()
    client = APIClient()
    client.force_authenticate(type(world.fr_caseworker).objects.get(pk=world.fr_caseworker.pk))
    assert client.get(f"/api/v1/imports/{job.pk}/").status_code == 404
    assert client.post(f"/api/v1/imports/{job.pk}/check/").status_code == 404


@pytest.mark.parametrize("who", IMPORTERS + OTHERS)
def test_the_fields_of_each_kind_are_reference_data_for_every_member(world, who):
    answer = api_client(getattr(world, who)).get("/api/v1/import-mappings/fields/cases/")
    assert answer.status_code == 200
    assert {"name": "external_reference", "label": "Your reference", "type": "text",
            "required": True} in answer.json()
    assert api_client(getattr(world, who)).get(
        "/api/v1/import-mappings/fields/nothing/").status_code == 404


def test_anonymous_callers_get_401(world, job):
    client = APIClient()
    for url in ("/api/v1/imports/", f"/api/v1/imports/{job.pk}/",
                "/api/v1/import-mappings/", "/api/v1/import-mappings/fields/cases/"):
        assert client.get(url).status_code == 401
    assert client.post(f"/api/v1/imports/{job.pk}/commit/").status_code == 401
