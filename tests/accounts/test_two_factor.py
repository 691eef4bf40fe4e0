"""Two factors at sign-in: who must have one, each factor signing in, and nothing reachable
before it."""

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases.models import AuditEvent, Organisation

from ..factories import (
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    app_code,
    authenticator_app,
    country,
)
from .support import password_only, recovery_codes_of

Action = AuditEvent.Action


@pytest.fixture
def required(world):
    Organisation.objects.filter(pk=world.ngo_fr.pk).update(mfa_required=True)
    return world


def actions(user) -> list[str]:
    return list(AuditEvent.objects.filter(detail__account=user.username)
                .order_by("seq").values_list("action", flat=True))


@pytest.mark.parametrize("path", ["/", "/cases/", "/accounts/sessions/", "/admin/"])
def test_a_member_of_an_organisation_requiring_two_factors_sets_one_up_first(required, path):
    client = password_only(required.fr_caseworker)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")


def test_the_api_answers_403_to_a_session_without_its_second_factor(required):
    client = password_only(required.fr_caseworker)
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert "second factor" in response.json()["detail"]


def test_platform_staff_always_need_two_factors(world):
    client = Client()
    assert client.login(username=world.staff.username, password="correct horse battery staple")
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/")


def test_an_optional_organisation_lets_a_member_without_a_factor_in(world):
    client = password_only(world.fr_caseworker)
    assert client.get("/cases/").status_code == 200


def test_a_member_who_set_up_a_factor_uses_it_even_where_optional(world):
    authenticator_app(world.fr_caseworker)
    response = password_only(world.fr_caseworker).get("/cases/")
    assert response["Location"] == "/accounts/verify/?next=%2Fcases%2F"


def test_setting_up_an_app_through_the_pages_shows_recovery_codes_once(required):
    user = required.fr_caseworker
    client = password_only(user)
    assert client.get("/accounts/two-factor/").status_code == 200
    page = client.get("/accounts/two-factor/app/")
    assert page.status_code == 200 and b"<svg" in page.content
    key = client.session["accounts_totp_setup_key"]
    wrong = client.post("/accounts/two-factor/app/", {"name": "phone", "code": "000000"})
    assert wrong.status_code == 400 and not TOTPDevice.objects.filter(user=user).exists()
    device = TOTPDevice(user=user, key=key)
    response = client.post("/accounts/two-factor/app/", {"name": "phone",
                                                         "code": app_code(device)})
    assert response.status_code == 200
    recovery = StaticDevice.objects.get(user=user)
    codes = [t.token for t in recovery.token_set.all()]
    assert len(codes) == 10 and all(c.encode() in response.content for c in codes)
    assert client.get("/cases/").status_code == 200
    assert actions(user).count(Action.MFA_ENROL) == 2


def test_sign_in_with_an_app_code(required):
    user = required.fr_caseworker
    device = authenticator_app(user)
    client = password_only(user)
    assert client.get("/cases/")["Location"].startswith("/accounts/verify/")
    assert client.get("/accounts/verify/").status_code == 200
    wrong = client.post("/accounts/verify/", {"code": "000000", "next": "/cases/"})
    assert wrong.status_code == 400
    assert Action.MFA_FAILED in actions(user)
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post("/accounts/verify/", {"code": app_code(device), "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.get("/cases/").status_code == 200


def test_a_code_signs_in_once(required):
    user = required.fr_caseworker
    device = authenticator_app(user)
    code = app_code(device)
    first = password_only(user)
    assert first.post("/accounts/verify/", {"code": code})["Location"] == "/"
    second = password_only(user)
    assert second.post("/accounts/verify/", {"code": code}).status_code == 400


def test_a_recovery_code_signs_in_once_and_is_audited(required):
    user = required.fr_caseworker
    authenticator_app(user)
    recovery_codes_of(user, "alpha123", "bravo456")
    client = password_only(user)
    response = client.post("/accounts/verify/", {"code": "alpha123", "next": "/cases/"})
    assert response["Location"] == "/cases/"
    assert Action.MFA_RECOVERY_USED in actions(user)
    again = password_only(user)
    assert again.post("/accounts/verify/", {"code": "alpha123"}).status_code == 400
    assert list(StaticDevice.objects.get(user=user).token_set.values_list("token", flat=True)) \
        == ["bravo456"]


def test_a_failed_passkey_is_audited(required):
    user = required.fr_caseworker
    authenticator_app(user)
    client = password_only(user)
    response = client.post("/accounts/webauthn/authentication/complete/", {},
                           content_type="application/json")
    assert response.status_code >= 400
    assert Action.MFA_FAILED in actions(user)


def test_the_last_factor_stays_while_two_factors_are_required(required):
    from ..factories import sign_in_with_two_factors

    user = required.fr_caseworker
    client = Client()
    sign_in_with_two_factors(client, user)
    device = TOTPDevice.objects.get(user=user)
    client.post("/accounts/two-factor/remove/", {"factor": device.persistent_id})
    assert TOTPDevice.objects.filter(user=user).exists()
    Organisation.objects.filter(pk=required.ngo_fr.pk).update(mfa_required=False)
    client.post("/accounts/two-factor/remove/", {"factor": device.persistent_id})
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert Action.MFA_REMOVE in actions(user)


def test_nobody_removes_another_persons_factor(world):
    from ..factories import sign_in_with_two_factors

    theirs = authenticator_app(world.de_caseworker)
    client = Client()
    sign_in_with_two_factors(client, world.fr_caseworker)
    response = client.post("/accounts/two-factor/remove/", {"factor": theirs.persistent_id})
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(pk=theirs.pk).exists()


def test_an_org_admin_resets_a_members_factors_without_seeing_them(required):
    from ..factories import sign_in_with_two_factors

    member = required.fr_caseworker
    device = authenticator_app(member)
    device.name = "my-secret-phone"
    device.save()
    members_client = password_only(member)
    members_client.post("/accounts/verify/", {"code": app_code(device)})
    assert members_client.get("/cases/").status_code == 200
    admin = Client()
    sign_in_with_two_factors(admin, required.fr_admin)
    membership = member.memberships.get()
    page = admin.get(f"/accounts/members/{membership.pk}/reset-factors/")
    assert page.status_code == 200 and b"my-secret-phone" not in page.content
    assert admin.post(f"/accounts/members/{membership.pk}/reset-factors/").status_code == 302
    assert not TOTPDevice.objects.filter(user=member).exists()
    assert Action.MFA_RESET in actions(member)
    # Every session of the member ended: the next request signs in again.
    assert members_client.get("/cases/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["de_admin", "it_admin", "fr_caseworker"])
def test_only_the_members_own_org_admins_reset_factors(required, who):
    from ..factories import sign_in_with_two_factors

    authenticator_app(required.fr_liaison)
    client = Client()
    sign_in_with_two_factors(client, getattr(required, who))
    membership = required.fr_liaison.memberships.get()
    assert client.get(f"/accounts/members/{membership.pk}/reset-factors/").status_code == 404
    assert client.post(f"/accounts/members/{membership.pk}/reset-factors/").status_code == 404
    assert TOTPDevice.objects.filter(user=required.fr_liaison).exists()


def test_new_organisations_require_two_factors_unless_told_otherwise(db):
    call_command("create_organisation", "ngo-x", name="NGO X", kind="ngo", country="FR")
    call_command("create_organisation", "ngo-y", name="NGO Y", kind="ngo", country="FR",
                 mfa="optional")
    assert Organisation.objects.get(slug="ngo-x").mfa_required
    assert not Organisation.objects.get(slug="ngo-y").mfa_required


def test_a_member_of_two_organisations_needs_two_factors_if_either_requires_them(db):
    lax = OrganisationFactory(mfa_required=False, country=country("FR"))
    strict = OrganisationFactory(mfa_required=True, country=country("DE"))
    user = UserFactory()
    MembershipFactory(user=user, organisation=lax, role="caseworker")
    MembershipFactory(user=user, organisation=strict, role="auditor")
    assert password_only(user).get("/")["Location"].startswith("/accounts/two-factor/")


def test_the_admin_shows_no_factor_secrets():
    from django.contrib import admin
    from django_otp.plugins.otp_static.models import StaticDevice as Static
    from django_otp.plugins.otp_totp.models import TOTPDevice as App

    assert not admin.site.is_registered(App)
    assert not admin.site.is_registered(Static)


def test_a_reset_of_factors_revokes_the_members_api_tokens(required):
    from accounts.models import ApiToken
    from accounts.tokens import token_create

    from ..factories import sign_in_with_two_factors

    member = required.fr_caseworker
    sign_in_with_two_factors(Client(), member)
    token_create(actor=member, user=member, name="script", scope="read_only",
                 expires_in_days=30)
    admin = Client()
    sign_in_with_two_factors(admin, required.fr_admin)
    admin.post(f"/accounts/members/{member.memberships.get().pk}/reset-factors/")
    assert not ApiToken.objects.filter(user=member).exists()


@pytest.mark.parametrize("named", ["", "garbage", "otp_totp.totpdevice/abc",
                                   "otp_totp.totpdevice/99999", "nope.model/1", "auth.user/1",
                                   "a/b/c", "\x00", "x" * 5000])
def test_a_factor_named_wrongly_is_not_found_and_nothing_is_removed(world, named):
    from ..factories import sign_in_with_two_factors

    client = Client()
    sign_in_with_two_factors(client, world.fr_caseworker)
    response = client.post("/accounts/two-factor/remove/", {"factor": named})
    assert response.status_code == 404
    assert TOTPDevice.objects.filter(user=world.fr_caseworker).count() == 1


@pytest.mark.parametrize("code", ["1" * 5000, "\x00", "", "abc def"])
def test_odd_codes_are_refused_with_the_form(required, code):
    authenticator_app(required.fr_caseworker)
    client = password_only(required.fr_caseworker)
    response = client.post("/accounts/verify/", {"code": code})
    assert response.status_code == 400
    assert b'class="error"' in response.content


def test_setting_up_an_app_without_its_key_or_with_odd_input_saves_nothing(world):
    from ..factories import sign_in_with_two_factors

    client = Client()
    sign_in_with_two_factors(client, world.fr_liaison)
    before = TOTPDevice.objects.count()
    # No key shown yet in this session.
    response = client.post("/accounts/two-factor/app/", {"code": "123456"})
    assert response.status_code == 400 and b"Scan the code below first" in response.content
    client.get("/accounts/two-factor/app/")
    response = client.post("/accounts/two-factor/app/", {"code": "x" * 50, "name": "y" * 500})
    assert response.status_code == 400
    assert TOTPDevice.objects.count() == before
