"""The API reads a signed-in session's user as the user object itself, not through the
middleware's lazy proxies (accounts.authentication.SessionAuthentication)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from rest_framework.request import Request

from accounts.authentication import SessionAuthentication


def _request(user) -> Request:
    # As AuthenticationMiddleware and then OTPMiddleware leave it: a proxy of a proxy.
    django_request = RequestFactory().get("/api/v1/me/")
    django_request.user = SimpleLazyObject(lambda: SimpleLazyObject(lambda: user))
    django_request._dont_enforce_csrf_checks = True
    return Request(django_request)


@pytest.mark.django_db
def test_the_session_user_is_the_object_behind_the_proxies(world):
    user = world.fr_caseworker
    found, credentials = SessionAuthentication().authenticate(_request(user))
    assert found is user
    assert credentials is None


@pytest.mark.django_db
def test_an_inactive_or_anonymous_session_user_is_still_not_signed_in(world):
    user = world.fr_caseworker
    user.is_active = False
    assert SessionAuthentication().authenticate(_request(user)) is None
    assert SessionAuthentication().authenticate(_request(AnonymousUser())) is None


@pytest.mark.django_db
def test_a_session_call_of_the_api_answers_for_its_person(world):
    from rest_framework.test import APIClient

    from ..factories import sign_in_with_two_factors

    client = APIClient()
    sign_in_with_two_factors(client, world.de_liaison)
    assert client.get("/api/v1/me/").json()["username"] == "de_liaison"
    assert client.get("/api/v1/cases/").status_code == 200
