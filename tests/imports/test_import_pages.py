"""The import pages: a caseworker uploads, maps, checks and imports; errors show per row and
field; every other role, partner and outsider gets 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from cases.models import Case
from imports.models import ImportJob
from tests.web.test_web_monitoring import signed_in

from .support import CASE_ROW, csv_bytes, upload

pytestmark = pytest.mark.django_db
PAGES = {"imports:list", "imports:detail", "imports:commit", "imports:discard",
         "imports:example"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def test_a_caseworker_imports_a_file_from_the_pages(world):
    client = signed_in(world.fr_caseworker)
    page = client.get("/imports/")
    assert page.status_code == 200 and b"external_reference" in page.content
    answer = client.post("/imports/", {
        "kind": "cases", "date_format": "dmy",
        "file": SimpleUploadedFile("ours.csv", csv_bytes([{**CASE_ROW, "request_date":
                                                           "10/01/2024"}], delimiter=";"))})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    job = ImportJob.objects.get()
    page = client.get(answer["Location"])
    assert b"Check every row" in page.content and b"ours.csv" in page.content
    form = {f"column_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        answer = client.post(f"/imports/{job.pk}/", {**form, "date_format": "dmy",
                                                      "save_as": "Semicolons"})
    assert answer.status_code == 302
    page = client.get(f"/imports/{job.pk}/")
    assert b"1 new record" in page.content and b"Import 1 row" in page.content
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/imports/{job.pk}/commit/")
    assert str(Case.objects.get().request_date) == "2024-01-10"
    assert b"Go to the cases" in client.get(f"/imports/{job.pk}/").content


def test_the_check_shows_each_error_by_row_and_field(world):
    client = signed_in(world.fr_caseworker)
    job = upload(world.fr_caseworker, csv_bytes([{**CASE_ROW, "request_date": "10/01/2024"}]))
    form = {f"column_{i}": job.mapping[h] for i, h in enumerate(job.headers)}
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"/imports/{job.pk}/", {**form, "date_format": "iso"})
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "day first or month first" in page and "Request date" in page
    assert "Import 1 row" not in page


@pytest.mark.parametrize("who", ["fr_liaison", "fr_auditor", "de_caseworker", "de_admin",
                                 "it_caseworker", "it_admin"])
def test_other_roles_partners_and_outsiders_get_404(world, who):
    job = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))
    client = signed_in(getattr(world, who))
    if who.startswith("fr_"):
        assert client.get("/imports/").status_code == 404
    for method, url in [("get", f"/imports/{job.pk}/"), ("post", f"/imports/{job.pk}/"),
                        ("post", f"/imports/{job.pk}/commit/"),
                        ("post", f"/imports/{job.pk}/discard/")]:
        assert getattr(client, method)(url).status_code == 404, (method, url)
    job.refresh_from_db()
    assert job.status == "uploaded"


def test_the_org_admin_sees_and_discards_a_colleagues_import(world):
    job = upload(world.fr_caseworker, csv_bytes([CASE_ROW]))
    client = signed_in(world.fr_admin)
    assert client.get(f"/imports/{job.pk}/").status_code == 200
    assert client.post(f"/imports/{job.pk}/discard/").status_code == 302
    job.refresh_from_db()
    assert job.status == "discarded" and job.file == ""


def test_the_example_files_map_themselves_and_import_in_turn(world):
    client = signed_in(world.fr_caseworker)
    for kind in ("cases", "assurances", "proceedings"):
        answer = client.get(f"/imports/example-{kind}.csv")
        assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
        job = upload(world.fr_caseworker, answer.content, kind=kind, name=f"{kind}.csv")
        assert all(job.mapping.values()), job.mapping
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(f"/imports/{job.pk}/", {
                **{f"column_{i}": job.mapping[h] for i, h in enumerate(job.headers)},
                "date_format": "iso"})
        with TestCase.captureOnCommitCallbacks(execute=True):
            client.post(f"/imports/{job.pk}/commit/")
        job.refresh_from_db()
        assert job.status == "done", (kind, job.errors)
    assert client.get("/imports/example-nothing.csv").status_code == 404
    assert signed_in(world.fr_liaison).get("/imports/example-cases.csv").status_code == 404
