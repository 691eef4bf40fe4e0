"""Sign-in cannot be brute-forced: the client's address, the lockout, the password reset."""

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import caches
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from rest_framework.throttling import BaseThrottle

from cases.api.throttling import LoginThrottle
from cases.models import AuditEvent
from cases.signin import address_key, client_address

from ..factories import totp_code

PASSWORD = "correct horse battery staple"
LOCKED = "Too many failed attempts to sign in."


def sign_in(username: str, password: str, address: str = "203.0.113.5"):
    return Client().post("/accounts/login/", {"username": username, "password": password},
                         REMOTE_ADDR=address)


def token(username: str, password: str, address: str = "203.0.113.5", otp: str = "",
          **headers):
    return Client().post("/api/v1/auth/token/",
                         {"username": username, "password": password, "otp": otp},
                         content_type="application/json", REMOTE_ADDR=address, **headers)


def lockouts():
    return list(AuditEvent.objects.filter(action="locked_out").order_by("seq")
                .values_list("organisation__slug", "detail"))


# --- the client's address ------------------------------------------------------------------


def _request(remote="198.51.100.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "1.2.3.4", "198.51.100.7"),           # no proxy trusted: the header is the client's
    (1, None, "198.51.100.7"),
    (1, "1.2.3.4, 203.0.113.9", "203.0.113.9"),  # what our proxy saw; the client wrote 1.2.3.4
    (2, "1.2.3.4, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
    (3, "203.0.113.9", "203.0.113.9"),          # fewer hops than proxies: the first
    (1, "not-an-address", "198.51.100.7"),
])
def test_the_client_address_trusts_only_the_configured_proxies(settings, proxies, forwarded,
                                                                expected):
    settings.TRUSTED_PROXIES = proxies
    assert client_address(_request(forwarded=forwarded)) == expected


def test_drf_reads_forwarded_headers_as_the_lockout_does():
    for forwarded in (None, "1.2.3.4", "1.2.3.4, 5.6.7.8"):
        request = _request(forwarded=forwarded)
        assert BaseThrottle().get_ident(request) == client_address(request)


def test_an_ipv6_client_is_counted_by_its_network():
    assert address_key("2001:db8:1:2:aaaa::1") == address_key("2001:db8:1:2:bbbb::9")
    assert address_key("2001:db8:1:3::1") != address_key("2001:db8:1:2::1")
    assert address_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_rotating_x_forwarded_for_gives_no_fresh_token_requests(world, monkeypatch):
    monkeypatch.setitem(LoginThrottle.THROTTLE_RATES, "login", "3/min")
    answers = [token(f"guess{i}", "nope", HTTP_X_FORWARDED_FOR=f"10.9.8.{i}").status_code
               for i in range(4)]
    assert answers == [400, 400, 400, 429]
    # Another client is not held back by it.
    code = totp_code(world.fr_caseworker)
    assert token("fr_caseworker", PASSWORD, address="198.51.100.1", otp=code).status_code == 200


# --- the lockout ---------------------------------------------------------------------------


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(world):
    for _ in range(5):
        assert b"correct username and password" in sign_in("fr_caseworker", "wrong").content
    refused = sign_in("fr_caseworker", PASSWORD)
    assert refused.status_code == 200 and LOCKED.encode() in refused.content
    assert "_auth_user_id" not in refused.client.session
    # From another address too: the account itself is locked.
    assert LOCKED.encode() in sign_in("fr_caseworker", PASSWORD, address="198.51.100.1").content
    assert sign_in("fr_auditor", PASSWORD).status_code == 302
    assert lockouts() == [("ngo-fr", {"scope": "signin-account", "address": "203.0.113.5",
                                      "username": "fr_caseworker"})]
    # Refused attempts are not each a failed sign-in in the log: the lockout is, once.
    assert AuditEvent.objects.filter(action="login_failed").count() == 5


def test_an_unknown_account_locks_out_alike(world):
    for _ in range(6):
        answer = sign_in("nobody-at-all", "wrong")
    for _ in range(6):
        known = sign_in("fr_liaison", "wrong")
    assert LOCKED.encode() in answer.content and LOCKED.encode() in known.content
    assert lockouts()[0] == (None, {"scope": "signin-account", "address": "203.0.113.5",
                                    "username": "(no such account)"})


@override_settings(SIGNIN_FAILURES_PER_ADDRESS=20)
def test_twenty_failures_from_one_address_lock_it_for_every_account(world):
    for i in range(19):
        sign_in(f"user{i}", "wrong")
    # A success does not give the address back the failures of other accounts.
    assert sign_in("fr_caseworker", PASSWORD).status_code == 302
    sign_in("user19", "wrong")
    assert LOCKED.encode() in sign_in("fr_auditor", PASSWORD).content
    assert sign_in("fr_auditor", PASSWORD, address="198.51.100.1").status_code == 302
    assert lockouts() == [(None, {"scope": "signin-address", "address": "203.0.113.5"})]


def test_a_success_clears_the_accounts_own_failures(world):
    for _ in range(4):
        sign_in("fr_caseworker", "wrong")
    assert sign_in("fr_caseworker", PASSWORD).status_code == 302
    for _ in range(4):
        sign_in("fr_caseworker", "wrong")
    assert sign_in("fr_caseworker", PASSWORD).status_code == 302


@pytest.mark.skipif(
    "redis" in settings.CACHES["default"]["BACKEND"],
    reason="Redis expires entries by its own clock, which the test cannot move")
def test_the_lockout_ends_a_window_after_the_last_failure(world):
    with time_machine.travel("2026-03-01 10:00", tick=False) as clock:
        for _ in range(5):
            sign_in("fr_caseworker", "wrong")
        assert b"Try again in 15 minutes." in sign_in("fr_caseworker", PASSWORD).content
        clock.shift(14 * 60)
        assert b"Try again in 1 minute." in sign_in("fr_caseworker", PASSWORD).content
        clock.shift(61)
        assert sign_in("fr_caseworker", PASSWORD).status_code == 302


def test_the_token_endpoint_shares_the_lockout(world):
    for _ in range(3):
        assert sign_in("fr_caseworker", "wrong").status_code == 200
    for _ in range(2):
        assert token("fr_caseworker", "wrong").status_code == 400
    refused = token("fr_caseworker", PASSWORD)
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(LOCKED)
    assert 0 < int(refused["Retry-After"]) <= 900
    assert len(lockouts()) == 1


@pytest.mark.parametrize("run", [1, 2])
@override_settings(SIGNIN_FAILURES_PER_ADDRESS=4)
def test_each_test_starts_with_no_counts(world, run):
    for _ in range(3):
        sign_in("fr_caseworker", "wrong")
    # A count left by the other run would make this the address's fifth attempt.
    assert sign_in("fr_caseworker", PASSWORD).status_code == 302


def test_the_counters_are_in_the_shared_cache(db):
    backend = type(caches["default"]).__name__
    assert backend in ("DatabaseCache", "RedisCache")
    # The migrations made the database cache's table, whichever cache is in use.
    assert "em_cache" in connection.introspection.table_names()


# --- the password reset --------------------------------------------------------------------


def reset(email: str, address: str = "203.0.113.5"):
    return Client().post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR=address)


def test_password_resets_are_limited_per_email(world):
    answers = [reset("fr_caseworker@example.org").status_code for _ in range(4)]
    assert answers == [302, 302, 302, 200]
    assert len(mail.outbox) == 3
    refused = reset("FR_caseworker@example.org", address="198.51.100.1")
    assert b"Too many requests to reset a password." in refused.content
    assert lockouts() == [("ngo-fr", {"scope": "reset-email", "address": "203.0.113.5",
                                      "username": "fr_caseworker"})]


def test_password_resets_are_limited_per_address(world):
    answers = [reset(f"someone{i}@example.org").status_code for i in range(11)]
    assert answers == [302] * 10 + [200]
    assert reset("fr_caseworker@example.org", address="198.51.100.1").status_code == 302
    assert len(mail.outbox) == 1
    assert lockouts() == [(None, {"scope": "reset-address", "address": "203.0.113.5"})]


def test_the_admin_sign_in_shares_the_lockout(world):
    def admin_sign_in(password):
        return Client().post("/admin/login/", {"username": "platform_staff",
                                               "password": password}, REMOTE_ADDR="203.0.113.5")

    for _ in range(5):
        assert admin_sign_in("wrong").status_code == 200
    refused = admin_sign_in(PASSWORD)
    assert refused.status_code == 200 and LOCKED.encode() in refused.content
    assert Client().post("/accounts/login/", {"username": "platform_staff", "password": PASSWORD},
                         REMOTE_ADDR="198.51.100.1").status_code == 200
    assert len(lockouts()) == 1
