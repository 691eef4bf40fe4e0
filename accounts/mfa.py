"""Second factors: who must have one, and checking a code.

The factors themselves are django-otp's devices: an authenticator app (`TOTPDevice`), a set of
one-time recovery codes (`StaticDevice`) and passkeys or security keys (django-otp-webauthn's
`WebAuthnCredential`). A session that passed one is *verified* (`request.user.is_verified()`,
set by `django_otp.login`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_otp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import Membership

from . import events

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest
    from django_otp.models import Device

# Codes typed by a person: the factors that take one.
CODE_DEVICES = (TOTPDevice, StaticDevice)


def devices(user: AbstractBaseUser) -> list[Device]:
    """The user's confirmed factors, of every kind."""
    return list(django_otp.devices_for_user(user, confirmed=True))


def has_factor(user: AbstractBaseUser) -> bool:
    """Whether the user has a factor that signs in: an app or a passkey (recovery codes alone
    are a spare, not a factor)."""
    return any(not isinstance(device, StaticDevice) for device in devices(user))


def required_by_policy(user: AbstractBaseUser) -> bool:
    """Whether two factors are required of the user: platform staff always, and a member of
    an organisation that requires them."""
    if user.is_staff or user.is_superuser:
        return True
    return Membership.objects.filter(user=user, organisation__mfa_required=True).exists()


# What a signed-in session that has not passed a second factor must do first.
VERIFY = "verify"
ENROL = "enrol"


def pending_step(user: AbstractBaseUser) -> str | None:
    """VERIFY when the user has a factor (anyone who set one up uses it), ENROL when two
    factors are required and the user has none, else None."""
    owned = devices(user)
    if any(not isinstance(d, StaticDevice) or d.token_set.exists() for d in owned):
        return VERIFY
    return ENROL if required_by_policy(user) else None


def verify_code(
    *, user: AbstractBaseUser, code: str, request: HttpRequest | None = None
) -> Device | None:
    """The factor that accepts `code` (an app's code or a recovery code), or None.

    A recovery code is spent by its use. Each failure and each recovery code used is an
    audit event; with a request, the session becomes verified by the factor.
    """
    code = "".join(code.split())
    device = None
    if code:
        for candidate in devices(user):
            if isinstance(candidate, CODE_DEVICES) and candidate.verify_token(code):
                device = candidate
                break
    if device is None:
        events.record(actor=None, action=events.Action.MFA_FAILED, user=user,
                      detail={"factor": "code"})
        return None
    if isinstance(device, StaticDevice):
        events.record(actor=user, action=events.Action.MFA_RECOVERY_USED, user=user,
                      detail={"left": device.token_set.count()})
    if request is not None:
        django_otp.login(request, device)
    return device
