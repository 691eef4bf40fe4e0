"""The API's token authentication and the scope of a token.

A token works only while it is unexpired and still stored (revoking deletes it), its user is
active, belongs to an organisation (platform staff use the admin, not tokens) and has the
password the token was made under. The receivers in accounts/signals.py delete the tokens of a
user who leaves the last organisation, is deactivated or changes password, but these checks
are the guard: they hold for changes that send no signal (a queryset update, a raw write).
"""

from __future__ import annotations

import binascii
from hmac import compare_digest

from django.utils import timezone
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _
from drf_spectacular import authentication as spectacular_auth
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox import auth
from knox.crypto import hash_token
from knox.settings import CONSTANTS
from rest_framework import authentication, exceptions, permissions

from . import tokens
from .models import ApiToken

INVALID = _("Invalid token.")


class TokenAuthentication(auth.TokenAuthentication):
    """`Authorization: Token <secret>`: the token on `request.auth`, its user on `request.user`.

    One query finds the token, its user and whether the user is a member anywhere; a second
    notes the use, at most once a minute. Nothing else is written: an expired token stays
    until its owner deletes it, and is refused meanwhile.
    """

    def authenticate_credentials(self, token: bytes):
        try:
            secret = token.decode("utf-8")
            digest = hash_token(secret)
        except (UnicodeDecodeError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(INVALID) from None
        # PostgreSQL refuses a NUL byte in a query.
        if "\x00" in secret:
            raise exceptions.AuthenticationFailed(INVALID)
        candidates = tokens.with_membership(
            ApiToken.objects.filter(token_key=secret[: CONSTANTS.TOKEN_KEY_LENGTH])
        )
        for candidate in candidates:
            if compare_digest(digest, candidate.digest):
                return self.validate_user(candidate)
        raise exceptions.AuthenticationFailed(INVALID)

    def validate_user(self, auth_token: ApiToken):
        now = timezone.now()
        user = auth_token.user
        if tokens.is_expired(auth_token, now):
            raise exceptions.AuthenticationFailed(_("This token has expired."))
        if not (user.is_active and auth_token.member) or not compare_digest(
            auth_token.password_fingerprint, tokens.fingerprint(user)
        ):
            raise exceptions.AuthenticationFailed(INVALID)
        tokens.touch(auth_token, now)
        return user, auth_token


class SessionAuthentication(authentication.SessionAuthentication):
    """The signed-in session's user, as the user object itself.

    Django's middleware (authentication, then the second factor's) hands the user over behind
    lazy proxies; every attribute read through them is a call of its own, and the policy reads
    the user's roles and flags a few times for each row of a list. The object behind the
    proxies is the same one, with the same cached roles and second-factor state.
    """

    def authenticate(self, request):
        found = super().authenticate(request)
        if found is None:
            return None
        user, credentials = found
        # Read once already (is_active): each proxy holds what it stands for.
        while isinstance(user, LazyObject):
            user = user._wrapped
        return user, credentials


class TokenScope(permissions.BasePermission):
    """A read-only token reads: every other method is refused (403). A session, or a read-write
    token, is not held back here."""

    message = _("This token is read-only: it cannot change anything. Use a read-write token.")

    def has_permission(self, request, view) -> bool:
        token = request.auth
        return (
            request.method in permissions.SAFE_METHODS
            or not isinstance(token, ApiToken)
            or not token.read_only
        )


class TokenScheme(KnoxTokenScheme):
    """The schema's description of the token: `Authorization: Token <secret>`."""

    target_class = "accounts.authentication.TokenAuthentication"
    name = "tokenAuth"


class SessionScheme(spectacular_auth.SessionScheme):
    """The schema's description of the session: the cookie the web application signs in."""

    target_class = "accounts.authentication.SessionAuthentication"
