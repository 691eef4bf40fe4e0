"""Bad input the fuzzer found, each a 400 naming its fields: every error of a write at once,
booleans as JSON writes them, a notification preference without its choice; an address no
route matches answers JSON like the rest of the API."""

from __future__ import annotations

import pytest

from monitoring.models import NotificationPreference

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, SubjectFactory


def test_a_write_reports_an_unknown_field_together_with_the_other_errors(world):
    response = api_client(world.fr_caseworker).post("/api/v1/subjects/", {
        "full_name": "A", "nickname": "X", "reference": "SUBJ-1", "date_of_birth": "3 April",
        "refugee_status": "stateless",
    }, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"nickname", "reference", "date_of_birth", "refugee_status"}


def test_a_reference_refused_before_the_lookup_is_reported_with_the_others(world):
    response = api_client(world.fr_caseworker).post("/api/v1/cases/", {
        "subject": "a\x00b", "requesting_state": "CN", "requested_state": "FR",
        "channel": "teleportation", "colour": "blue",
    }, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"subject", "channel", "colour"}
    assert body["subject"] == ["Null characters are not allowed."]


@pytest.mark.parametrize("value", [0, 1, "true", "no", "", None])
def test_a_yes_or_no_field_takes_a_json_boolean(world, value):
    subject = SubjectFactory(owner=world.ngo_fr)
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/subjects/{subject.pk}/", {"reprisal_risk": value, "version": 1},
        format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["reprisal_risk"]


def test_an_unknown_yes_or_no_may_be_null_where_the_record_allows_it(world):
    assurance = AssuranceFactory(case=CaseFactory(owner=world.ngo_fr))
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/assurances/{assurance.pk}/", {"binding": None, "version": 1}, format="json")
    assert response.status_code == 200, response.json()


@pytest.mark.parametrize("item", [{"kind": "due_soon"}, {"kind": "due_soon", "email": 0}])
def test_a_notification_preference_needs_its_choice_as_a_boolean(world, item):
    response = api_client(world.fr_caseworker).put(
        "/api/v1/notification-preferences/", [item], format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["0"] and list(response.json()["0"]) == ["email"]
    assert not NotificationPreference.objects.exists()


def test_an_api_address_no_route_matches_is_a_json_404(world):
    client = api_client(world.fr_admin)
    for path in ("/api/v1/audit-events/1.5e-291/", "/api/v1/no-such-list/",
                 "/api/v1/cases/x.y/timeline/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_evidence_is_uploaded_as_a_multipart_body_only(world):
    response = api_client(world.fr_caseworker).post(
        "/api/v1/evidence/", {"report": "x", "file": "%PDF-1.4"}, format="json")
    assert response.status_code == 415


def test_the_api_reads_json_bodies_only(world):
    response = api_client(world.fr_caseworker).post(
        "/api/v1/subjects/", {"full_name": "A"}, format="multipart")
    assert response.status_code == 415
