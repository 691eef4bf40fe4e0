"""The token endpoint gives a token only for the password and a second factor's code, behind
the same lockout and throttle as every sign-in; and the schema describes how to send one."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import ApiToken
from cases.models import AuditEvent

from ..factories import totp_code

PASSWORD = "correct horse battery staple"
URL = "/api/v1/auth/token/"


def ask(username="fr_caseworker", password=PASSWORD, **fields):
    return Client().post(URL, {"username": username, "password": password, **fields},
                         content_type="application/json", REMOTE_ADDR="203.0.113.5")


def days(token: ApiToken) -> int:
    return round((token.expiry - token.created).total_seconds() / 86400)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))


def test_without_a_second_factor_there_is_no_token(world):
    response = ask(otp="123456")
    assert response.status_code == 400
    assert "Set up an authenticator app in the web application" in response.json()["otp"][0]
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("otp", [None, "", "   "])
def test_a_missing_code_is_refused_next_to_its_field(world, otp):
    totp_code(world.fr_caseworker)
    response = ask(**({} if otp is None else {"otp": otp}))
    assert response.status_code == 400
    assert set(response.json()) == {"otp"}
    assert not ApiToken.objects.exists()


def test_a_wrong_code_is_refused_and_audited(world):
    code = totp_code(world.fr_caseworker)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = ask(otp=wrong)
    assert response.status_code == 400
    assert response.json() == {"otp": ["This code is not valid."]}
    assert not ApiToken.objects.exists()
    assert actions() == ["mfa_failed"]


def test_a_wrong_password_is_refused_before_the_code_is_read(world):
    response = ask(password="wrong", otp=totp_code(world.fr_caseworker))
    assert response.status_code == 400
    assert set(response.json()) == {"non_field_errors"}
    assert actions() == ["login_failed"]


def test_the_app_code_gives_a_token_shown_once(world):
    response = ask(otp=totp_code(world.fr_caseworker), name="nightly sync",
                   scope="read_write", expires_in_days=30)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "name", "scope", "expiry"}
    assert (body["name"], body["scope"]) == ("nightly sync", "read_write")
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.scope) == (world.fr_caseworker, "nightly sync",
                                                     "read_write")
    assert days(token) == 30
    assert body["token"] not in str(ApiToken.objects.values().get())
    assert actions() == ["login", "token_create"]
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert me.status_code == 200


def test_a_token_from_the_endpoint_is_read_only_for_90_days_unless_asked(world):
    response = ask(otp=totp_code(world.fr_caseworker))
    assert response.status_code == 200
    token = ApiToken.objects.get()
    assert (token.scope, token.name, days(token)) == (
        "read_only", "API", 90)


def test_a_recovery_code_gives_a_token_once(world):
    device = StaticDevice.objects.create(user=world.fr_caseworker, name="backup", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd1234")

    assert ask(otp="abcd 1234").status_code == 200
    assert ask(otp="abcd1234").status_code == 400
    assert ApiToken.objects.count() == 1
    assert "mfa_recovery_used" in actions()


@pytest.mark.parametrize("fields", [
    {"scope": "admin"}, {"expires_in_days": 366}, {"expires_in_days": 0}, {"name": ""},
    {"admin": True},
])
def test_bad_token_settings_are_refused_before_any_check(world, fields):
    response = ask(otp=totp_code(world.fr_caseworker), **fields)
    assert response.status_code == 400
    assert set(response.json()) == set(fields)
    assert actions() == []


def test_the_endpoint_keeps_the_lockout(world, settings):
    TOTPDevice.objects.create(user=world.fr_caseworker, name="app", confirmed=True)
    for _ in range(settings.SIGNIN_FAILURES_PER_ACCOUNT):
        assert ask(password="wrong").status_code == 400
    refused = ask(otp=totp_code(world.fr_caseworker))
    assert refused.status_code == 429
    assert not ApiToken.objects.exists()


def test_the_schema_says_how_to_send_a_token(client, db):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": 'Token-based authentication with required prefix "Token"',
    }
    assert schema["paths"]["/api/v1/cases/"]["get"]["security"] == [
        {"tokenAuth": []}, {"cookieAuth": []}]
    token = schema["paths"][URL]["post"]
    request = schema["components"]["schemas"]["TokenRequest"]
    assert {"otp", "name", "scope", "expires_in_days"} <= set(request["properties"])
    assert token["security"] == [{}]
    assert set(schema["components"]["schemas"]["Token"]["properties"]) == {
        "token", "name", "scope", "expiry"}
