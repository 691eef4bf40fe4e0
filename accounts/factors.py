"""Setting up, removing and resetting second factors: each an audited service."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import django_otp
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from cases import policy
from cases.models import Membership
from cases.policy import Action, Resource

from . import events, mfa, sessions, tokens

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django_otp.models import Device

RECOVERY_CODES = 10
KINDS = {TOTPDevice: "app", StaticDevice: "recovery_codes", WebAuthnCredential: "passkey"}


def kind_of(device: Device) -> str:
    return KINDS[type(device)]


def totp_enrol(*, actor: AbstractBaseUser, name: str, key: str, code: str) -> TOTPDevice:
    """An authenticator app, once it has shown it holds `key` by giving a valid `code`."""
    device = TOTPDevice(user=actor, name=name.strip()[:64] or _("Authenticator app"), key=key,
                        confirmed=True)
    # Checked here, not by device.verify_token(): that saves the device when the code is wrong.
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    code = "".join(code.split())
    if code.isdigit() and totp.verify(int(code), device.tolerance):
        # The code that confirmed it does not sign in again.
        device.last_t, device.drift = totp.t(), totp.drift
    else:
        raise ValidationError({"code": _("That code is not right. Codes change every 30 "
                                         "seconds: type the one the app shows now.")})
    with transaction.atomic():
        device.save()
        events.record(actor=actor, action=events.Action.MFA_ENROL, user=actor, obj=device,
                      detail={"factor": "app"})
    return device


def passkey_enrolled(*, actor: AbstractBaseUser, device: WebAuthnCredential) -> None:
    """A passkey was registered (django-otp-webauthn saved it): in the log."""
    events.record(actor=actor, action=events.Action.MFA_ENROL, user=actor, obj=device,
                  detail={"factor": "passkey"})


def recovery_codes_issue(*, actor: AbstractBaseUser) -> list[str]:
    """A new set of one-time recovery codes, replacing any earlier set; shown once."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=actor, name="recovery", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=c) for c in codes)
        events.record(actor=actor, action=events.Action.MFA_ENROL, user=actor, obj=device,
                      detail={"factor": "recovery_codes", "codes": len(codes)})
    return codes


def factor_remove(*, actor: AbstractBaseUser, device: Device) -> None:
    """Remove one of one's own factors; not the last one that signs in when two factors are
    required (set up another first)."""
    if device.user_id != actor.pk:
        raise PermissionDenied
    others = [d for d in mfa.devices(actor)
              if d.persistent_id != device.persistent_id and not isinstance(d, StaticDevice)]
    if not isinstance(device, StaticDevice) and not others and mfa.required_by_policy(actor):
        raise ValidationError(_("Two factors are required for your account: set up another "
                                "factor before you remove this one."))
    with transaction.atomic():
        events.record(actor=actor, action=events.Action.MFA_REMOVE, user=actor, obj=device,
                      detail={"factor": kind_of(device)})
        device.delete()


def factors_reset(*, actor: AbstractBaseUser, membership: Membership) -> int:
    """An org admin removes every factor of a member (who lost a phone, say): the member sets
    up new ones at the next sign-in, and every session and API token of theirs ends (what was
    opened with the lost factor goes with it). The admin never sees the factors."""
    if not policy.has_right(actor, membership.organisation_id, Resource.MEMBERSHIP,
                            Action.MANAGE_MEMBERS):
        raise PermissionDenied(_("Only the organisation's admins reset a member's factors."))
    user = membership.user
    with transaction.atomic():
        removed = list(django_otp.devices_for_user(user, confirmed=None))
        for device in removed:
            device.delete()
        events.record(actor=actor, action=events.Action.MFA_RESET, user=user,
                      detail={"factors": len(removed),
                              "organisation": membership.organisation.slug})
        sessions.end_all_sessions(actor=actor, user=user, reason="factors reset")
        tokens.revoke_all(user=user, reason="factors reset")
    return len(removed)
