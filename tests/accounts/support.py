"""Signing in through the pages: past the password alone, and with recovery codes."""

from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

PASSWORD = "correct horse battery staple"


def recovery_codes_of(user, *codes: str) -> StaticDevice:
    device = StaticDevice.objects.create(user=user, name="recovery", confirmed=True)
    for code in codes:
        StaticToken.objects.create(device=device, token=code)
    return device


def password_only(user) -> Client:
    """A client past the password, before any second factor."""
    client = Client()
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client
