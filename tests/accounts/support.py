"""Signing in through the pages, with each kind of second factor."""

import base64

import pyotp
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"


def app_of(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def code_of(device: TOTPDevice, offset: int = 0) -> str:
    """The code the app shows now (or `offset` steps of 30 seconds away)."""
    totp = pyotp.TOTP(base64.b32encode(device.bin_key).decode())
    return totp.at(totp.timecode(__import__("datetime").datetime.now()) * 30 + offset * 30)


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
