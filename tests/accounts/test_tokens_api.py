"""API tokens at work: kept hashed, refused once expired, revoked, out of scope, or when their
user is deactivated, changes password or leaves the last organisation; each use noted at most
once a minute; made and revoked with an audit event."""

from __future__ import annotations

import datetime
import inspect

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tokens
from accounts.authentication import TokenAuthentication, TokenScope
from accounts.models import ApiToken
from cases import services
from cases.models import AuditEvent, Membership

from ..conftest import token_for
from ..factories import CaseFactory, MembershipFactory

RO, RW = ApiToken.Scope.READ_ONLY, ApiToken.Scope.READ_WRITE


def client_with(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client


def make(user, scope: str = RW, days: int = 90) -> tuple[ApiToken, str]:
    return tokens.token_create(actor=user, user=user, name="script", scope=scope,
                               expires_in_days=days)


def me(secret: str) -> int:
    return client_with(secret).get("/api/v1/me/").status_code


def token_events(action: str) -> list[tuple]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq").values_list(
        "actor__username", "organisation__slug", "object_type", "detail"))


# --- stored hashed --------------------------------------------------------------------------


def test_a_token_is_stored_as_a_hash_and_works_with_its_secret(world):
    token, secret = make(world.fr_caseworker)

    assert me(secret) == 200
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert secret not in {str(value) for value in stored.values()}
    assert stored["digest"] != secret and len(stored["digest"]) == 128
    assert me(secret[:-1] + ("0" if secret[-1] != "0" else "1")) == 401


def test_the_expiry_is_90_days_by_default_and_at_most_a_year(world):
    user = world.fr_caseworker
    token, _secret = tokens.token_create(actor=user, user=user, name="a", scope=RO)
    assert abs(token.expiry - timezone.now() - datetime.timedelta(days=90)) < datetime.timedelta(
        minutes=1)
    for days in (0, 366, -1, True):
        with pytest.raises(ValidationError) as refused:
            make(user, days=days)
        assert set(refused.value.error_dict) == {"expires_in_days"}
    with pytest.raises(ValidationError) as refused:
        tokens.token_create(actor=user, user=user, name=" ", scope="admin", expires_in_days=9)
    assert set(refused.value.error_dict) == {"name", "scope"}
    assert ApiToken.objects.filter(user=user).count() == 1


def test_no_one_makes_a_token_for_someone_else(world):
    with pytest.raises(PermissionDenied):
        tokens.token_create(actor=world.fr_admin, user=world.fr_caseworker, name="x", scope=RO)
    assert not ApiToken.objects.filter(user=world.fr_caseworker).exists()


# --- refused ---------------------------------------------------------------------------------


def test_a_token_past_its_expiry_is_refused(world):
    _token, secret = make(world.fr_caseworker, days=1)
    assert me(secret) == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, seconds=1)):
        response = client_with(secret).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "This token has expired."


def test_a_revoked_token_is_refused(world):
    token, secret = make(world.fr_caseworker)
    tokens.token_revoke(actor=world.fr_caseworker, token=token)
    assert me(secret) == 401
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_a_read_only_token_reads_and_is_refused_every_write(world):
    case = CaseFactory(owner=world.ngo_fr)
    client = client_with(make(world.fr_caseworker, scope=RO)[1])

    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200
    assert client.get("/api/v1/cases/").status_code == 200
    for method, url, body in [
        ("post", "/api/v1/subjects/", {"full_name": "Fictional Person"}),
        ("patch", f"/api/v1/cases/{case.pk}/", {"version": case.version, "summary": "x"}),
        ("delete", f"/api/v1/memberships/{Membership.objects.first().pk}/", None),
        # Refused before the record is looked up: a write on nothing is still a write.
        ("delete", "/api/v1/cases/999999/", None),
    ]:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
        assert "read-only" in response.json()["detail"]
    case.refresh_from_db()
    assert case.version == 1


def test_a_read_write_token_and_a_session_write(world):
    body = {"full_name": "Fictional Person"}
    assert client_with(make(world.fr_caseworker)[1]).post(
        "/api/v1/subjects/", body, format="json").status_code == 201
    session = APIClient()
    session.force_login(world.fr_caseworker)
    assert session.post("/api/v1/subjects/", body, format="json").status_code == 201


def test_a_deactivated_users_token_is_refused(world):
    user = world.fr_caseworker
    _token, secret = make(user)
    # Even written behind the receivers' back, the authentication refuses it.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    assert me(secret) == 401


def test_deactivating_a_user_revokes_its_tokens(world):
    user = world.fr_caseworker
    make(user)
    user.is_active = False
    user.save()
    assert not ApiToken.objects.filter(user=user).exists()
    [(actor, org, kind, detail)] = token_events("token_revoke")
    assert (actor, org, kind) == (None, "ngo-fr", "apitoken")
    assert detail["reason"] == "user_deactivated"


def test_a_token_dies_with_its_users_password(world):
    user = world.fr_caseworker
    _token, secret = make(user)
    other = token_for(user)
    assert me(secret) == 200
    type(user).objects.filter(pk=user.pk).update(password="md5$changed$behind-the-back")
    assert me(secret) == me(other) == 401

    user.refresh_from_db()
    _token, secret = make(user)
    user.set_password("another correct horse")
    user.save()
    assert me(secret) == 401
    assert not ApiToken.objects.filter(user=user).exists()
    assert token_events("token_revoke")[-1][3]["reason"] == "password_changed"


def test_a_token_dies_with_its_users_last_membership(world):
    user = world.fr_caseworker
    second = MembershipFactory(user=user, role="auditor")
    _token, secret = make(user)

    services.membership_delete(actor=world.fr_admin,
                               membership=Membership.objects.get(user=user,
                                                                 organisation=world.ngo_fr))
    assert me(secret) == 200
    second.delete()
    assert not ApiToken.objects.filter(user=user).exists()
    assert me(secret) == 401
    [(actor, org, _kind, detail)] = token_events("token_revoke")
    assert (actor, org, detail["reason"]) == (None, second.organisation.slug,
                                              "last_membership_removed")


def test_a_token_of_someone_with_no_membership_is_refused(world):
    secret = token_for(world.fr_caseworker)
    # Written behind the receivers' back: the authentication still refuses it.
    Membership.objects.filter(user=world.fr_caseworker).update(user=world.it_caseworker)
    assert me(secret) == 401
    # Platform staff belong to no organisation: they use the admin.
    assert me(token_for(world.staff)) == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token \x00abc", "Token ÿÿ"])
def test_malformed_tokens_are_refused(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header.encode("latin-1").decode("latin-1"))
    assert client.get("/api/v1/me/").status_code == 401


# --- use ---------------------------------------------------------------------------------------


def test_last_used_is_written_once_a_minute(world):
    token, secret = make(world.fr_caseworker)
    client = client_with(secret)
    start = timezone.now()

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/me/").status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    with time_machine.travel(start, tick=False):
        first, second = queries(), queries()
    token.refresh_from_db()
    assert token.last_used == start
    writes = [sql for sql in first + second if sql.startswith("UPDATE")]
    assert len(writes) == 1 and "last_used" in writes[0]
    # The token, its user and whether the user belongs anywhere: one query.
    assert len(first) == len(second) + 1
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        later = queries()
    assert len([sql for sql in later if sql.startswith("UPDATE")]) == 1
    token.refresh_from_db()
    assert token.last_used == start + datetime.timedelta(seconds=61)


def test_a_request_with_a_token_costs_one_query_for_it(world):
    client = client_with(make(world.fr_caseworker)[1])
    assert client.get("/api/v1/me/").status_code == 200  # the first use writes last_used
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/me/").status_code == 200
    # The token with its user and whether the user belongs anywhere; the memberships shown.
    assert len(ctx.captured_queries) == 2
    assert "accounts_apitoken" in ctx.captured_queries[0]["sql"]


def test_the_token_is_on_the_request(world, rf):
    token, secret = make(world.fr_caseworker, scope=RO)

    request = rf.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}")
    user, auth = TokenAuthentication().authenticate(request)
    assert (user, auth) == (world.fr_caseworker, token)
    assert auth.read_only


# --- audited ---------------------------------------------------------------------------------


def test_making_and_revoking_are_audited_without_the_secret(world):
    token, secret = make(world.fr_caseworker, scope=RO)
    tokens.token_revoke(actor=world.fr_admin, token=token)

    made, revoked = token_events("token_create"), token_events("token_revoke")
    assert made == [("fr_caseworker", "ngo-fr", "apitoken",
                     {"account": "fr_caseworker", "name": "script", "scope": "read_only"})]
    assert revoked == [("fr_admin", "ngo-fr", "apitoken",
                        {"account": "fr_caseworker", "name": "script", "scope": "read_only"})]
    logged = str(list(AuditEvent.objects.values()))
    assert secret not in logged and secret[:15] not in logged


def test_only_the_owner_and_its_organisations_admins_revoke_a_token(world):
    token, _secret = make(world.fr_caseworker)
    for stranger in (world.it_admin, world.de_caseworker, world.fr_auditor, world.staff):
        with pytest.raises(Http404):
            tokens.token_revoke(actor=stranger, token=token)
    assert ApiToken.objects.filter(pk=token.pk).exists()
    tokens.token_revoke(actor=world.fr_admin, token=token)
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def _api_views(resolver=None, prefix=""):
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_views(pattern, route)
        elif route.startswith("api/v1/"):
            callback = pattern.callback
            yield route, getattr(callback, "cls", None), getattr(callback, "actions", None) or {}


def test_every_api_view_that_takes_a_token_keeps_its_scope():
    """A view that sets its own permission classes (or an action its own) must keep TokenScope,
    or a read-only token could write through it."""
    unguarded = []
    for route, view, actions in _api_views():
        for action in {None, *actions.values()}:
            handler = getattr(view, action, None) if action else None
            kwargs = getattr(handler, "kwargs", {}) if handler else {}
            permissions = kwargs.get("permission_classes", view.permission_classes)
            authenticators = kwargs.get("authentication_classes", view.authentication_classes)
            if any(issubclass(a, TokenAuthentication) for a in authenticators) and not any(
                issubclass(p, TokenScope) for p in permissions
            ):
                unguarded.append((route, action))
    assert unguarded == []


@pytest.mark.parametrize("write", [tokens.token_create, tokens.token_revoke, tokens.revoke_all])
def test_every_token_write_takes_named_and_typed_arguments(write):
    signature = inspect.signature(write)
    for parameter in signature.parameters.values():
        assert parameter.kind == parameter.KEYWORD_ONLY, parameter
        assert parameter.annotation is not parameter.empty, parameter
    assert signature.return_annotation is not signature.empty
