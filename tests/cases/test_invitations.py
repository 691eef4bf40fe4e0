"""Org admins could attach any account to their organisation, another organisation's members
and platform staff included. Now an account that belongs elsewhere joins only by accepting an
invitation (or when platform staff add it), and staff accounts never become members."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import invitations, policy, services
from cases.models import AuditEvent, Invitation, Membership

from ..conftest import api_client
from ..factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(client, who, role="caseworker"):
    return client.post("/api/v1/invitations/",
                       {"organisation": "ngo-fr", "user": who.username, "role": role})


def test_an_admin_cannot_attach_another_organisations_member(world):
    response = api_client(world.fr_admin).post(
        "/api/v1/memberships/",
        {"organisation": "ngo-fr", "user": world.de_caseworker.username, "role": "caseworker"})
    assert response.status_code == 400
    assert "invite" in response.json()["user"][0]
    assert not Membership.objects.filter(user=world.de_caseworker,
                                         organisation=world.ngo_fr).exists()


def test_staff_accounts_never_become_members(world):
    for client in (api_client(world.fr_admin),):
        for path in ("/api/v1/memberships/", "/api/v1/invitations/"):
            response = client.post(path, {"organisation": "ngo-fr",
                                          "user": world.staff.username, "role": "auditor"})
            assert response.status_code == 400 and "staff" in response.json()["user"][0]
    # Not even platform staff may attach a staff account, from the admin or the command line.
    with pytest.raises(ValidationError):
        services.membership_create(actor=services.Operator(), organisation=world.ngo_fr,
                                   user=world.staff, role="auditor")
    assert not Membership.objects.filter(user=world.staff).exists()


def test_a_staff_account_given_a_membership_behind_the_services_sees_nothing(world):
    CaseFactory(owner=world.ngo_fr)
    Membership.objects.create(user=world.staff, organisation=world.ngo_fr, role="org_admin")
    assert policy.roles(world.staff) == {}
    assert api_client(world.staff).get("/api/v1/cases/").json()["results"] == []


def test_a_fresh_account_is_added_at_once(world):
    newcomer = UserFactory(username="newcomer")
    response = api_client(world.fr_admin).post(
        "/api/v1/memberships/",
        {"organisation": "ngo-fr", "user": newcomer.username, "role": "caseworker"})
    assert response.status_code == 201


def test_platform_staff_add_a_member_of_another_organisation_directly(world):
    services.membership_create(actor=services.Operator(), organisation=world.ngo_fr,
                               user=world.de_caseworker, role="liaison")
    assert policy.roles(world.de_caseworker)[world.ngo_fr.pk] == "liaison"


def test_an_invitation_joins_only_once_accepted(world):
    response = invite(api_client(world.fr_admin), world.de_caseworker, "liaison")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["invited_by"] == "fr_admin"
    assert world.ngo_fr.pk not in policy.roles(world.de_caseworker)
    invitee = api_client(world.de_caseworker)
    # The invitee sees its invitation; the inviting organisation's other roles do not.
    assert invitee.get(f"/api/v1/invitations/{body['id']}/").status_code == 200
    assert api_client(world.fr_caseworker).get(
        f"/api/v1/invitations/{body['id']}/").status_code == 404
    # Only the invitee answers.
    assert api_client(world.fr_admin).post(
        f"/api/v1/invitations/{body['id']}/accept/").status_code == 403
    accepted = invitee.post(f"/api/v1/invitations/{body['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Membership.objects.get(user=world.de_caseworker,
                                  organisation=world.ngo_fr).role == "liaison"
    # Once answered, it stays answered.
    assert invitee.post(f"/api/v1/invitations/{body['id']}/accept/").status_code == 400
    changes = [e.detail["change"] for e in AuditEvent.objects.filter(
        action=AuditEvent.Action.INVITATION).order_by("seq")]
    assert changes == ["invited", "accepted"]


def test_a_declined_cancelled_or_lapsed_invitation_joins_no_one(world):
    declined = invitations.invitation_create(actor=world.fr_admin, organisation=world.ngo_fr,
                                             user=world.de_caseworker, role="auditor")
    assert api_client(world.de_caseworker).post(
        f"/api/v1/invitations/{declined.pk}/decline/").json()["status"] == "declined"
    cancelled = invitations.invitation_create(actor=world.fr_admin, organisation=world.ngo_fr,
                                              user=world.de_caseworker, role="auditor")
    assert api_client(world.fr_admin).delete(
        f"/api/v1/invitations/{cancelled.pk}/").status_code == 204
    lapsed = invitations.invitation_create(actor=world.fr_admin, organisation=world.ngo_fr,
                                           user=world.it_caseworker, role="auditor")
    Invitation.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1))
    for user, invitation in ((world.de_caseworker, cancelled), (world.it_caseworker, lapsed)):
        assert api_client(user).post(
            f"/api/v1/invitations/{invitation.pk}/accept/").status_code == 400
    assert not Membership.objects.filter(organisation=world.ngo_fr,
                                         user__in=[world.de_caseworker,
                                                   world.it_caseworker]).exists()


def test_only_admins_invite_and_never_above_their_rank(world):
    assert invite(api_client(world.fr_caseworker), world.de_caseworker).status_code == 403
    # An admin elsewhere names an organisation it may not manage: refused like any value.
    assert invite(api_client(world.it_admin), world.de_caseworker).status_code == 400
    assert invite(api_client(world.fr_admin), world.de_caseworker).status_code == 201
    assert invite(api_client(world.fr_admin), world.de_caseworker).status_code == 400
    assert invite(api_client(world.fr_admin), world.fr_liaison).status_code == 400


def test_the_web_member_form_invites_who_belongs_elsewhere(world):
    admin = signed_in(world.fr_admin)
    response = admin.post(reverse("cases:member_add"),
                          {"user": world.de_liaison.username, "role": "auditor"}, follow=True)
    assert response.status_code == 200
    assert "invited" in response.content.decode()
    invitation = Invitation.objects.get(user=world.de_liaison)
    assert world.de_liaison.username in admin.get(reverse("cases:member_list")).content.decode()
    # A staff account is refused next to the field.
    refused = admin.post(reverse("cases:member_add"), {"user": "platform_staff",
                                                       "role": "auditor"})
    assert refused.status_code == 400 and "staff" in refused.content.decode()
    # The invitee answers from its own page.
    invitee = signed_in(world.de_liaison)
    assert reverse("cases:invitations") in invitee.get(reverse("dashboard")).content.decode()
    assert world.ngo_fr.name in invitee.get(reverse("cases:invitations")).content.decode()
    assert signed_in(world.it_liaison).post(
        reverse("cases:invitation_accept", args=[invitation.pk])).status_code == 404
    invitee.post(reverse("cases:invitation_accept", args=[invitation.pk]))
    assert Membership.objects.get(user=world.de_liaison, organisation=world.ngo_fr).role == \
        "auditor"


def test_an_admin_cancels_a_pending_invitation_from_the_member_list(world):
    invitation = invitations.invitation_create(actor=world.fr_admin, organisation=world.ngo_fr,
                                               user=world.de_liaison, role="auditor")
    assert signed_in(world.de_admin).post(
        reverse("cases:invitation_cancel", args=[invitation.pk])).status_code == 404
    signed_in(world.fr_admin).post(reverse("cases:invitation_cancel", args=[invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
