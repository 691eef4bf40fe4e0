"""Text that is odd but legal through the API (bidirectional overrides, zero-width characters,
combining marks, markup) is stored exactly and rendered escaped, in answers and in errors."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from cases.models import (
    Case,
    Offence,
    Subject,
)

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    ProceedingFactory,
    SharingGroupFactory,
    SubjectFactory,
)
from .test_bad_input import records

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def rec(world):
    return records(world)


# --- odd but legal text is stored exactly ----------------------------------------------------

ODD_TEXT = [
    pytest.param("\u202eevil.exe\u202c", id="right-to-left-override"),
    pytest.param("\u202eStart\u202d", id="override-at-both-ends"),
    pytest.param("Wang\u200dXiaoming", id="zero-width-joiner"),
    pytest.param("\u200bWang\u200bXiaoming\u200b", id="zero-width-space"),
    pytest.param("\ufeffBOM\ufeff", id="byte-order-mark"),
    pytest.param("Zoe\u0308 Jose\u0301 Nguye\u0303\u0301n", id="combining-marks"),
    pytest.param("e\u0301\u0301\u0301\u0301\u0301", id="stacked-combining-marks"),
    pytest.param("\u738b\u5c0f\u660e \U0001f600 \u0645\u062d\u0645\u062f", id="mixed-scripts"),
    pytest.param(SCRIPT, id="markup"),
    pytest.param("Robert'); DROP TABLE cases_case;--", id="sql"),
    pytest.param("{{ 7*7 }} ${7*7} %s %(name)s", id="template-syntax"),
    pytest.param("=HYPERLINK(\"http://x\")", id="formula"),
]


@pytest.mark.parametrize("text", ODD_TEXT)
def test_odd_text_round_trips_byte_for_byte(world, text):
    client = api_client(world.fr_caseworker)

    created = client.post("/api/v1/subjects/", {"full_name": text, "notes": text,
                                                "other_names": text}, format="json")
    assert created.status_code == 201, created.json()
    subject_id = created.json()["id"]
    case = client.post(
        "/api/v1/cases/",
        {"subject": subject_id, "requesting_state": "CN", "requested_state": "FR",
         "channel": "extradition", "legal_basis_note": text,
         "offences": [{"description": text, "category": "other"}]},
        format="json",
    )
    assert case.status_code == 201, case.json()

    subject = client.get(f"/api/v1/subjects/{subject_id}/")
    detail = client.get(f"/api/v1/cases/{case.json()['id']}/")

    for field in ("full_name", "notes", "other_names"):
        assert subject.json()[field].encode() == text.encode()
        assert getattr(Subject.objects.get(pk=subject_id), field).encode() == text.encode()
    assert detail.json()["legal_basis_note"].encode() == text.encode()
    assert detail.json()["offences"][0]["description"].encode() == text.encode()
    stored = Case.objects.get(pk=case.json()["id"])
    assert stored.legal_basis_note.encode() == text.encode()
    assert stored.offences.get().description.encode() == text.encode()
    # The server's bytes carry the characters themselves, not escapes of them.
    assert json.dumps(text, ensure_ascii=False).encode() in subject.content


@pytest.mark.parametrize("text", ODD_TEXT)
def test_odd_text_round_trips_through_patch(rec, text):
    client = api_client(rec.world.fr_caseworker)
    response = client.patch(f"/api/v1/assurances/{rec.assurance.pk}/",
                            {"verbatim_text": text, "issuer": text, "version": 1},
                            format="json")
    assert response.status_code == 200, response.json()
    again = client.get(f"/api/v1/assurances/{rec.assurance.pk}/").json()
    assert again["verbatim_text"].encode() == text.encode()
    assert again["issuer"].encode() == text.encode()
    rec.assurance.refresh_from_db()
    assert rec.assurance.verbatim_text.encode() == text.encode()


# --- markup is escaped in the browsable API ---------------------------------------------------


def _browser(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def marked_up(world):
    subject = SubjectFactory(owner=world.ngo_fr, full_name=SCRIPT, notes=SCRIPT)
    case = CaseFactory(owner=world.ngo_fr, subject=subject, legal_basis_note=SCRIPT)
    Offence.objects.create(case=case, description=SCRIPT, category="other")
    AssuranceFactory(case=case, verbatim_text=SCRIPT, issuer=SCRIPT)
    ProceedingFactory(case=case, authority=SCRIPT, description=SCRIPT)
    SharingGroupFactory(owner=world.ngo_fr, name=SCRIPT, members=[world.ministry_de])
    return SimpleNamespace(subject=subject, case=case)


HTML_PAGES = [
    "/api/v1/subjects/",
    "/api/v1/subjects/{subject}/",
    "/api/v1/cases/",
    "/api/v1/cases/{case}/",
    "/api/v1/cases/{case}/timeline/",
    "/api/v1/assurances/",
    "/api/v1/proceedings/",
    "/api/v1/sharing-groups/",
    "/api/v1/cases/?q=<script>alert(1)</script>",
    "/api/v1/cases/?status=<script>alert(1)</script>",
    "/api/v1/cases/?<script>alert(1)</script>=1",
]


@pytest.mark.parametrize("path", HTML_PAGES)
def test_markup_is_escaped_in_the_browsable_api(world, marked_up, path):
    url = path.format(subject=marked_up.subject.pk, case=marked_up.case.pk)

    response = _browser(world.fr_admin).get(url, HTTP_ACCEPT="text/html")

    assert response.status_code in (200, 400)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert SCRIPT not in html
    assert "<script>alert" not in html
    # The value is on the page, escaped (so the check above tested something).
    assert ESCAPED_SCRIPT in html


def test_markup_echoed_in_an_error_is_escaped_in_the_browsable_api(world):
    response = _browser(world.fr_caseworker).post(
        "/api/v1/subjects/",
        {"full_name": "A", "protection_state": SCRIPT, SCRIPT: 1},
        format="json",
        HTTP_ACCEPT="text/html",
    )
    assert response.status_code == 400
    assert "<script>alert" not in response.content.decode()
    assert ESCAPED_SCRIPT in response.content.decode()
    assert not Subject.objects.exists()
