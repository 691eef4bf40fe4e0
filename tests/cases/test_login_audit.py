from django.test import Client

from cases.models import AuditEvent


def test_web_sign_in_and_failed_sign_in_are_audited(world):
    client = Client()
    assert not client.login(username="fr_caseworker", password="wrong")
    assert client.login(username="fr_caseworker", password="correct horse battery staple")
    events = AuditEvent.objects.order_by("seq").values_list(
        "action", "actor_username", "organisation__slug", "detail"
    )
    assert list(events) == [
        ("login_failed", "", "ngo-fr", {"username": "fr_caseworker"}),
        ("login", "fr_caseworker", "ngo-fr", {}),
    ]


def test_the_organisations_auditor_sees_its_members_sign_ins(world):
    Client().login(username="fr_caseworker", password="correct horse battery staple")
    from ..conftest import api_client

    seen = api_client(world.fr_auditor).get("/api/v1/audit-events/", {"action": "login"})
    assert [e["actor_username"] for e in seen.json()["results"]] == ["fr_caseworker"]
    unseen = api_client(world.it_auditor).get("/api/v1/audit-events/", {"action": "login"})
    assert unseen.json()["results"] == []


def test_failed_token_request_is_audited_once(world, client):
    response = client.post(
        "/api/v1/auth/token/", {"username": "fr_caseworker", "password": "nope"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action="login_failed").count() == 1
