from ..conftest import api_client


def test_caseworker_sees_own_memberships(world):
    response = api_client(world.fr_caseworker).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["memberships"] == [
        {"organisation": "ngo-fr", "organisation_name": "Ngo Fr", "role": "caseworker"}
    ]
