"""The pages of API tokens: one's own, made only in a session that passed a second factor, the
secret shown once; an organisation's admins see and revoke its members' tokens, never their
secrets, and for anyone else those pages do not exist (404)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken
from cases.models import AuditEvent

from ..factories import MembershipFactory, UserFactory, sign_in_with_two_factors

PAGES = {"accounts:tokens", "accounts:token_revoke", "accounts:organisation_tokens"}
RW = ApiToken.Scope.READ_WRITE


def signed_in(user, verified: bool = False) -> Client:
    """A session of `user`; `verified`: one that passed a second factor."""
    client = Client()
    if verified:
        sign_in_with_two_factors(client, user)
    else:
        client.force_login(user)
    return client


def make(user, name: str = "script") -> tuple[ApiToken, str]:
    return tokens.token_create(actor=user, user=user, name=name, scope=RW, expires_in_days=30)


def create(client: Client, **fields):
    return client.post(reverse("accounts:tokens"),
                       {"name": "nightly sync", "scope": "read_only", "expires_in_days": "30",
                        **fields})


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(world, name, client):
    args = {"accounts:token_revoke": [1], "accounts:organisation_tokens": ["ngo-fr"]}
    response = client.get(reverse(name, args=args.get(name, [])))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- one's own tokens ------------------------------------------------------------------------


def test_a_verified_session_makes_a_token_and_sees_its_secret_once(world):
    client = signed_in(world.fr_caseworker, verified=True)

    response = create(client)

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=world.fr_caseworker)
    page = response.content.decode()
    secret = response.context["secret"]
    assert f'value="{secret}"' in page and "not shown again" in page
    assert (token.name, token.scope) == ("nightly sync", "read_only")
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200
    # Nowhere else: not on the next page, not in the session.
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert secret not in again and "nightly sync" in again
    assert secret not in str(dict(client.session))
    assert AuditEvent.objects.filter(action="token_create").count() == 1


def test_an_unverified_session_is_told_to_use_a_second_factor(world):
    client = signed_in(world.fr_caseworker)

    page = client.get(reverse("accounts:tokens"))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="expires_in_days"' not in text
    assert "two factors" in text and 'href="/accounts/two-factor/"' in text

    refused = create(client)
    assert refused.status_code == 403
    assert "two factors" in refused.content.decode()
    assert not ApiToken.objects.exists()


def test_bad_token_settings_show_next_to_their_fields(world):
    client = signed_in(world.fr_caseworker, verified=True)
    response = create(client, name="", expires_in_days="400")
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "expires_in_days"}
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_list_shows_ones_own_tokens_without_secrets(world):
    mine, secret = make(world.fr_caseworker, "mine")
    make(world.fr_liaison, "someone else's")
    page = signed_in(world.fr_caseworker).get(reverse("accounts:tokens")).content.decode()
    assert "mine" in page and "someone else" not in page
    assert secret not in page and mine.digest not in page and mine.token_key not in page
    assert reverse("accounts:token_revoke", args=[mine.pk]) in page


def test_the_owner_revokes_after_confirming(world):
    token, secret = make(world.fr_caseworker)
    client = signed_in(world.fr_caseworker)
    url = reverse("accounts:token_revoke", args=[token.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert 'method="post"' in confirm.content.decode()
    assert ApiToken.objects.filter(pk=token.pk).exists()

    response = client.post(url, {"next": "https://elsewhere.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:tokens")
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 401
    assert AuditEvent.objects.filter(action="token_revoke", actor=world.fr_caseworker).exists()


def test_revoking_needs_csrf(world):
    token, _secret = make(world.fr_caseworker)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.fr_caseworker)
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()


# --- an organisation's admins ----------------------------------------------------------------


def test_an_admin_sees_its_members_tokens_and_revokes_one(world):
    token, secret = make(world.fr_caseworker, "caseworker's script")
    make(world.de_caseworker, "german script")
    client = signed_in(world.fr_admin)

    page = client.get(reverse("accounts:organisation_tokens", args=["ngo-fr"]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "caseworker&#x27;s script" in text and "fr_caseworker" in text
    assert "german script" not in text
    assert secret not in text and token.digest not in text and token.token_key not in text
    # The admin's own page leads there.
    own = client.get(reverse("accounts:tokens")).content.decode()
    assert reverse("accounts:organisation_tokens", args=["ngo-fr"]) in own

    back = reverse("accounts:organisation_tokens", args=["ngo-fr"])
    response = client.post(reverse("accounts:token_revoke", args=[token.pk]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    [event] = AuditEvent.objects.filter(action="token_revoke")
    assert (event.actor, event.organisation) == (world.fr_admin, world.ngo_fr)


@pytest.mark.parametrize("who", ["it_admin", "de_admin", "fr_caseworker", "fr_auditor"])
def test_no_one_else_sees_or_revokes_a_members_tokens(world, who):
    token, _secret = make(world.fr_caseworker)
    client = signed_in(getattr(world, who))
    if who != "fr_caseworker":
        revoke = reverse("accounts:token_revoke", args=[token.pk])
        assert client.get(revoke).status_code == 404
        assert client.post(revoke).status_code == 404
    assert client.get(reverse("accounts:organisation_tokens", args=["ngo-fr"])).status_code == 404
    assert client.get(reverse("accounts:organisation_tokens", args=["nowhere"])).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_an_admin_of_a_second_organisation_of_the_owner_may_revoke(world):
    MembershipFactory(user=world.fr_caseworker, organisation=world.ngo_it, role="auditor")
    token, _secret = make(world.fr_caseworker)
    response = signed_in(world.it_admin).post(reverse("accounts:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    assert not ApiToken.objects.filter(pk=token.pk).exists()


def test_the_account_menu_links_the_tokens_page(world):
    page = signed_in(world.fr_caseworker).get("/").content.decode()
    assert f'href="{reverse("accounts:tokens")}"' in page


def test_someone_without_an_organisation_makes_no_token(db):
    loner = UserFactory(username="loner")
    client = signed_in(loner, verified=True)
    assert "for members of an organisation" in client.get(
        reverse("accounts:tokens")).content.decode()
    assert create(client).status_code == 403
    assert not ApiToken.objects.exists()
