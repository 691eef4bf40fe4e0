"""Access to the pages of one's own sign-in: second factors, sessions, and an org admin's
reset of a member's factors (its own organisation's members only)."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession

from ..factories import sign_in_with_two_factors

PAGES = {"accounts:verify", "accounts:two_factor", "accounts:totp_add", "accounts:recovery_codes",
         "accounts:factor_remove", "accounts:sessions", "accounts:session_end",
         "accounts:keep_alive", "accounts:member_factors_reset", "accounts:organisation_security",
         "otp_webauthn:credential-registration-begin",
         "otp_webauthn:credential-registration-complete",
         "otp_webauthn:credential-authentication-begin",
         "otp_webauthn:credential-authentication-complete", "otp_webauthn:js-i18n-catalog"}
POSTED = {"accounts:recovery_codes", "accounts:factor_remove", "accounts:session_end",
          "accounts:keep_alive"}
WEBAUTHN = {name for name in PAGES if name.startswith("otp_webauthn:")} - {
    "otp_webauthn:js-i18n-catalog"}


def url(name: str) -> str:
    args = [1] if name in {"accounts:session_end", "accounts:member_factors_reset"} else []
    return reverse(name, args=args)


@pytest.mark.parametrize("name", sorted(PAGES - WEBAUTHN - {"otp_webauthn:js-i18n-catalog"}))
def test_anonymous_is_sent_to_sign_in(db, client, name):
    response = client.post(url(name)) if name in POSTED else client.get(url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("name", sorted(WEBAUTHN))
def test_anonymous_gets_no_passkey_ceremony(db, client, name):
    response = client.post(url(name), {}, content_type="application/json")
    assert response.status_code in (401, 403)
    assert "otp_webauthn_authentication_state" not in client.session


def test_the_passkey_script_catalogue_is_public(db, client):
    assert client.get(url("otp_webauthn:js-i18n-catalog")).status_code == 200


@pytest.mark.parametrize("name", ["accounts:two_factor", "accounts:totp_add",
                                  "accounts:sessions"])
def test_each_member_opens_their_own_pages(world, name):
    for user in (world.fr_caseworker, world.de_liaison, world.it_auditor, world.fr_admin):
        client = Client()
        sign_in_with_two_factors(client, user)
        assert client.get(url(name)).status_code == 200, user


def test_the_security_pages_name_nothing_of_another_person(world):
    from .test_web_foundation import signed_in

    other = signed_in(world.de_caseworker)
    other.get("/")
    mine = Client(HTTP_USER_AGENT="Mine")
    sign_in_with_two_factors(mine, world.fr_caseworker)
    mine.get("/")
    page = mine.get(url("accounts:sessions")).content.decode()
    theirs = UserSession.objects.get(user=world.de_caseworker)
    assert f"/accounts/sessions/{theirs.pk}/end/" not in page


@pytest.mark.parametrize(("who", "status"), [("fr_admin", 200), ("fr_caseworker", 404),
                                             ("fr_auditor", 404), ("de_admin", 404),
                                             ("it_admin", 404), ("staff", 404)])
def test_who_resets_a_members_factors(world, who, status):
    membership = world.fr_liaison.memberships.get()
    client = Client()
    sign_in_with_two_factors(client, getattr(world, who))
    path = reverse("accounts:member_factors_reset", args=[membership.pk])
    assert client.get(path).status_code == status


def test_the_passkey_scripts_speak_french_too(db, client):
    """django-otp-webauthn has no French catalogue: ours (locale/fr/.../djangojs.po) fills in."""
    client.cookies["django_language"] = "fr"
    catalogue = client.get(url("otp_webauthn:js-i18n-catalog")).content.decode()
    assert "Enregistrer une cl\\u00e9 d\\u2019acc\\u00e8s" in catalogue


@pytest.mark.parametrize(("who", "status"), [("fr_admin", 200), ("fr_caseworker", 404),
                                             ("fr_liaison", 404), ("fr_auditor", 404),
                                             ("staff", 404)])
def test_who_decides_whether_members_need_two_factors(world, who, status):
    client = Client()
    sign_in_with_two_factors(client, getattr(world, who))
    assert client.get(url("accounts:organisation_security")).status_code == status
    response = client.post(url("accounts:organisation_security"), {"mfa_required": "on"})
    assert response.status_code == (302 if status == 200 else 404)
    world.ngo_fr.refresh_from_db()
    assert world.ngo_fr.mfa_required is (status == 200)


def test_an_org_admin_requires_two_factors_and_members_are_sent_to_set_one_up(world):
    from cases.models import AuditEvent

    from .test_web_foundation import signed_in

    admin = Client()
    sign_in_with_two_factors(admin, world.fr_admin)
    member = signed_in(world.fr_caseworker)
    assert member.get("/cases/").status_code == 200
    admin.post(url("accounts:organisation_security"), {"mfa_required": "on"})
    assert member.get("/cases/")["Location"].startswith("/accounts/two-factor/")
    assert AuditEvent.objects.filter(action="update", object_type="organisation",
                                     changed_fields=["mfa_required"]).exists()
    admin.post(url("accounts:organisation_security"), {})
    assert member.get("/cases/").status_code == 200
