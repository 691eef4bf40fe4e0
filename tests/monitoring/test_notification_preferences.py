"""PUT /api/v1/notification-preferences/ (issue 11): every malformed choice is a 400 naming the
field, never a server error, and nothing is stored."""

from __future__ import annotations

import pytest

from monitoring.models import NotificationPreference

from ..conftest import api_client
from ..monitoring_helpers import snapshot


@pytest.mark.parametrize("body, field", [
    ([{"kind": "due_soon"}], "email"),  # the model's default made it optional: a KeyError
    ([{"email": False}], "kind"),
    ([{"kind": "due", "email": None}], "email"),
    ([{"kind": "due", "email": "maybe"}], "email"),
    ([{"kind": "due", "email": True, "sms": True}], "sms"),
])
def test_a_preference_missing_or_bad_in_a_field_is_a_400_naming_it(world, body, field):
    client = api_client(world.fr_caseworker)
    before = snapshot()
    response = client.put("/api/v1/notification-preferences/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["0"]
    assert snapshot() == before and not NotificationPreference.objects.exists()


@pytest.mark.parametrize("body", [{}, None, "due", [None], ["due"], [[]]])
def test_preferences_that_are_not_a_list_of_objects_are_a_400(world, body):
    response = api_client(world.fr_caseworker).put(
        "/api/v1/notification-preferences/", body, format="json")
    assert response.status_code == 400, response.content
    assert not NotificationPreference.objects.exists()
