"""Sign-in that cannot be brute-forced: the client's address, and attempt limits in the cache.

A limit allows `count` attempts per `window` seconds for one subject (an account, a client
address, an e-mail address). Each attempt claims one of `count` slots: a cache entry that
expires `window` seconds after it was claimed. With no slot free the subject is locked until the
oldest slot expires. Slots are claimed with the cache's atomic `add` before the password is
checked, so concurrent attempts never share one, on Redis and on the database cache alike.

Sign-in: a failure keeps its slots; a success gives back its address slot (so it never counts
against the address) and clears the account's. The default cache is shared by every process
(config/settings.py), so the counts are too.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied

from . import audit
from .models import AuditEvent, Membership

User = get_user_model()

# Set on a request whose sign-in was refused: the seconds until it may try again.
REFUSED_ATTRIBUTE = "sign_in_locked_for"


class LockedOut(Exception):
    def __init__(self, wait: int):
        super().__init__(wait)
        self.wait = wait


def client_address(request) -> str:
    """The client's IP address: the connection's own, or the one the nearest of
    TRUSTED_PROXIES proxies wrote into X-Forwarded-For (what the client wrote is never used)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        try:
            return str(ipaddress.ip_address(hops[-min(proxies, len(hops))]))
        except ValueError:
            pass  # not an address: a misconfigured proxy, so trust only the connection
    return remote


def address_key(address: str) -> str:
    """What the counters key an address on: an IPv6 address by its /64, which one subscriber
    holds whole (rotating inside it must not give fresh counters)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(getattr(ip, "ipv4_mapped", None) or ip)


@dataclass(frozen=True)
class Limit:
    name: str
    count: int
    window: int


class Slots:
    """The attempts of one subject under one limit (keys carry a digest, never what was typed)."""

    def __init__(self, limit: Limit, subject: str):
        self.limit = limit
        digest = hashlib.sha256(subject.encode()).hexdigest()[:32]
        self.prefix = f"limit:{limit.name}:{digest}"
        self.keys = [f"{self.prefix}:{i}" for i in range(limit.count)]

    def claim(self) -> str | None:
        taken = cache.get_many(self.keys)
        for key in self.keys:
            if key not in taken and cache.add(key, time.time(), self.limit.window):
                return key
        return None

    def wait(self) -> int:
        """Seconds until a slot is free again; 0 when one is."""
        taken = cache.get_many(self.keys)
        if len(taken) < len(self.keys):
            return 0
        return max(1, math.ceil(min(taken.values()) + self.limit.window - time.time()))

    def lock(self) -> bool:
        """Mark the lockout begun; True the first time within a window (to audit it once)."""
        return cache.add(f"{self.prefix}:locked", 1, self.limit.window)

    def release(self, key: str) -> None:
        cache.delete(key)

    def clear(self) -> None:
        cache.delete_many([*self.keys, f"{self.prefix}:locked"])


def _limits(kind: str) -> tuple[Limit, Limit]:
    """(per subject, per address) limits of `signin` or `reset`, read at each use."""
    if kind == "signin":
        window = settings.SIGNIN_WINDOW_SECONDS
        return (Limit("signin-account", settings.SIGNIN_FAILURES_PER_ACCOUNT, window),
                Limit("signin-address", settings.SIGNIN_FAILURES_PER_ADDRESS, window))
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    return (Limit("reset-email", settings.PASSWORD_RESETS_PER_EMAIL, window),
            Limit("reset-address", settings.PASSWORD_RESETS_PER_ADDRESS, window))


def record_lockout(*, scope: str, address: str, username: str = "", email: str = "") -> None:
    """A lockout begun, in the log of each organisation of the account it concerns (so their
    auditors see it), else the platform's. Names an account only if one exists."""
    accounts = User.objects.none()
    if username:
        accounts = User.objects.filter(username=username[:150])
    elif email:
        accounts = User.objects.filter(email__iexact=email)
    account = accounts.order_by("pk").first()
    organisations = list(
        Membership.objects.filter(user__in=accounts).values_list("organisation_id", flat=True)
        .distinct()
    ) or [None]
    detail = {"scope": scope, "address": address}
    if username or email:
        detail["username"] = account.username if account else "(no such account)"
    audit.record_many([
        audit.Entry(None, AuditEvent.Action.LOCKED_OUT, organisation_id=org, detail=detail)
        for org in organisations
    ])


class Attempt:
    """One sign-in or reset request, holding its slots while it is decided."""

    def __init__(self, kind: str, request, subject: str, **named: str):
        own_limit, address_limit = _limits(kind)
        self.address = client_address(request) if request is not None else ""
        self.named = named
        self.by_subject = Slots(own_limit, subject)
        # Without a request (a test client's login) there is no address to count.
        self.by_address = Slots(address_limit, address_key(self.address)) if self.address else None
        self.address_slot: str | None = None

    def begin(self) -> None:
        """Claim a slot per address and per subject, or raise LockedOut."""
        if self.by_address is not None:
            self.address_slot = self.by_address.claim()
            if self.address_slot is None:
                self._locked(self.by_address, named={})
        if self.by_subject.claim() is None:
            self._locked(self.by_subject, named=self.named)

    def failed(self) -> None:
        """The slots stay taken; the attempt that takes the last one begins the lockout."""
        for slots, named in ((self.by_subject, self.named), (self.by_address, {})):
            if slots is not None and slots.wait() and slots.lock():
                record_lockout(scope=slots.limit.name, address=self.address, **named)

    def succeeded(self) -> None:
        if self.address_slot is not None:
            self.by_address.release(self.address_slot)
        self.by_subject.clear()

    def _locked(self, slots: Slots, *, named: dict) -> None:
        if slots.lock():
            record_lockout(scope=slots.limit.name, address=self.address, **named)
        raise LockedOut(slots.wait() or slots.limit.window)


def refused_for(request) -> int:
    """Seconds a refused sign-in must wait, 0 if the request was not refused by the lockout."""
    return getattr(request, REFUSED_ATTRIBUTE, 0) if request is not None else 0


class LockoutBackend(ModelBackend):
    """Django's password check behind the lockout: a locked account or address is refused
    before its password is looked at, so even the right one fails."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        name = User.normalize_username(str(username))
        attempt = Attempt("signin", request, name, username=name)
        try:
            attempt.begin()
        except LockedOut as locked:
            if request is not None:
                setattr(request, REFUSED_ATTRIBUTE, locked.wait)
            # Django's authenticate() stops at PermissionDenied and reports a failed sign-in.
            raise PermissionDenied from locked
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            attempt.failed()
        else:
            attempt.succeeded()
        return user


def password_reset_wait(*, request, email: str) -> int:
    """Counts a password reset request; the seconds to wait if it is one too many, else 0."""
    subject = email.strip().casefold()
    try:
        Attempt("reset", request, subject, email=subject).begin()
    except LockedOut as locked:
        return locked.wait
    return 0
