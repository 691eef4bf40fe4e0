"""The web pages of an organisation's own affairs: the audit log, its members and its sharing
groups. Members and the log do not exist for those they are not for (404); a group is seen by
its members only, and changed by the owner's admins only.

ngo_fr (France) owns the group fr_de_group, of which ministry_de is a member; ngo_it is an
outsider.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import audit, policy
from cases.models import AuditEvent, Membership, SharingGroup, SharingGroupMembership
from cases.models.sharing import Distribution

from ..factories import CaseFactory, UserFactory

PASSWORD = "correct horse battery staple"
PAGES = {
    "cases:audit_log",
    "cases:member_list",
    "cases:member_add",
    "cases:member_edit",
    "cases:member_remove",
    "cases:group_list",
    "cases:group_create",
    "cases:group_edit",
    "cases:group_leave",
    "cases:group_delete",
    "cases:invitation_cancel",
    "cases:invitations",
    "cases:invitation_accept",
    "cases:invitation_decline",
}
EVERYONE = [f"{org}_{role}" for org in ("fr", "de", "it")
            for role in ("caseworker", "liaison", "auditor", "admin")]
Role = Membership.Role


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def membership(user, org) -> Membership:
    return Membership.objects.get(user=user, organisation=org)


def _members(group) -> set[str]:
    return set(group.memberships.values_list("organisation__slug", flat=True))


# --- anonymous -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(world, name, client):
    args = {"cases:member_edit": [membership(world.fr_liaison, world.ngo_fr).pk],
            "cases:member_remove": [membership(world.fr_liaison, world.ngo_fr).pk],
            "cases:group_edit": [world.fr_de_group.pk],
            "cases:group_leave": [world.fr_de_group.pk],
            "cases:group_delete": [world.fr_de_group.pk],
            "cases:invitation_cancel": [1], "cases:invitation_accept": [1],
            "cases:invitation_decline": [1]}.get(name, [])
    url = reverse(name, args=args)
    posted = ("remove", "leave", "delete", "cancel", "accept", "decline")
    response = client.post(url) if name.endswith(posted) else \
        client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- the audit log ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_the_audit_log_is_for_auditors_and_admins_of_their_own_organisation(world, who):
    audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, world.fr_de_group,
                 organisation_id=world.ngo_fr.pk, detail={"marker": "fr-event"})
    response = signed_in(getattr(world, who)).get(reverse("cases:audit_log"))
    allowed = who.endswith(("auditor", "admin"))
    assert response.status_code == (200 if allowed else 404)
    if allowed:
        assert ("fr-event" in response.content.decode()) == who.startswith("fr")


def test_the_audit_log_filters_and_refuses_bad_filters(world):
    for marker in ("one", "two"):
        audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, world.fr_de_group,
                     organisation_id=world.ngo_fr.pk, detail={"marker": marker})
    audit.record(world.fr_admin, AuditEvent.Action.SHARE, world.fr_de_group,
                 organisation_id=world.ngo_fr.pk, detail={"marker": "three"})
    client = signed_in(world.fr_auditor)
    page = client.get(reverse("cases:audit_log"), {"action": "share"}).content.decode()
    assert "three" in page and "marker: one" not in page
    for bad in ({"action": "explode"}, {"at_after": "not a moment"},
                {"organisation": "no-such-org"}, {"actor": "x\x00"}):
        response = client.get(reverse("cases:audit_log"), bad)
        assert response.status_code == 400, bad
        assert 'class="error"' in response.content.decode()


def test_the_audit_log_costs_the_same_queries_for_5_or_60_events(world):
    def make(n):
        audit.record_many([audit.Entry(world.fr_caseworker, AuditEvent.Action.UPDATE,
                                       world.fr_de_group, organisation_id=world.ngo_fr.pk)
                           for _ in range(n)])

    def count() -> int:
        client = signed_in(world.fr_admin)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cases:audit_log")).status_code == 200
        return len(queries)

    make(5)
    few = count()
    make(55)
    assert AuditEvent.objects.filter(organisation=world.ngo_fr).count() >= 60
    assert count() == few


# --- members ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_member_pages_are_for_the_acting_organisations_admins(world, who):
    client = signed_in(getattr(world, who))
    liaison = membership(world.fr_liaison, world.ngo_fr)
    expected = 200 if who == "fr_admin" else 404
    assert client.get(reverse("cases:member_list")).status_code == (
        200 if who.endswith("admin") else 404)
    assert client.get(reverse("cases:member_add")).status_code == (
        200 if who.endswith("admin") else 404)
    # Another organisation's membership is not there at all, even for its peers' admins.
    assert client.get(reverse("cases:member_edit", args=[liaison.pk])).status_code == expected
    response = client.post(reverse("cases:member_remove", args=[liaison.pk]))
    assert response.status_code == (302 if who == "fr_admin" else 404)
    assert Membership.objects.filter(pk=liaison.pk).exists() == (who != "fr_admin")


def test_the_member_list_shows_the_acting_organisations_members(world):
    page = signed_in(world.fr_admin).get(reverse("cases:member_list")).content.decode()
    for name in ("fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin"):
        assert name in page
    assert "de_caseworker" not in page and "it_admin" not in page


def test_an_admin_adds_an_existing_user_with_a_role(world):
    newcomer = UserFactory(username="newcomer")
    response = signed_in(world.fr_admin).post(reverse("cases:member_add"),
                                              {"user": "newcomer", "role": "auditor"})
    assert response.status_code == 302 and response["Location"] == reverse("cases:member_list")
    assert membership(newcomer, world.ngo_fr).role == Role.AUDITOR
    assert AuditEvent.objects.filter(action="permission_change",
                                     detail__user="newcomer").exists()


@pytest.mark.parametrize("fields, field, message", [
    ({"user": "nobody-at-all", "role": "auditor"}, "user", "No one has this username."),
    ({"user": "fr_liaison", "role": "auditor"}, "user", "already a member"),
    ({"user": "de_admin", "role": "superuser"}, "role", "Select a valid choice"),
    ({"user": "de\x00admin", "role": "auditor"}, "user", "Null characters"),
    ({"user": "", "role": "auditor"}, "user", "required"),
])
def test_bad_member_additions_are_400_next_to_the_field(world, fields, field, message):
    before = Membership.objects.count()
    response = signed_in(world.fr_admin).post(reverse("cases:member_add"), fields)
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split(f'id="id_{field}_error">', 1)[1].split("</p>", 1)[0]
    assert message in error
    if fields["user"] and "\x00" not in fields["user"]:
        assert f'value="{fields["user"]}"' in page
    assert Membership.objects.count() == before


def test_an_admin_cannot_grant_a_role_above_its_own(world, monkeypatch):
    # Were caseworkers to rank above admins, an admin could no longer make one.
    monkeypatch.setitem(policy.ROLE_RANK, Role.CASEWORKER, 4)
    UserFactory(username="newcomer")
    client = signed_in(world.fr_admin)
    page = client.get(reverse("cases:member_add")).content.decode()
    assert '<option value="caseworker"' not in page and '<option value="auditor"' in page
    response = client.post(reverse("cases:member_add"), {"user": "newcomer",
                                                         "role": "caseworker"})
    assert response.status_code == 400
    assert not Membership.objects.filter(user__username="newcomer").exists()


def test_an_admin_changes_a_role_with_the_version_it_loaded(world):
    liaison = membership(world.fr_liaison, world.ngo_fr)
    client = signed_in(world.fr_admin)
    url = reverse("cases:member_edit", args=[liaison.pk])
    page = client.get(url).content.decode()
    assert f'name="version" value="{liaison.version}"' in page
    response = client.post(url, {"role": "caseworker", "version": liaison.version})
    assert response.status_code == 302
    liaison.refresh_from_db()
    assert liaison.role == Role.CASEWORKER and liaison.version == 2
    # A second save with the old version overwrites nothing and shows what is stored.
    stale = client.post(url, {"role": "auditor", "version": 1})
    assert stale.status_code == 409
    body = stale.content.decode()
    assert "Someone else saved this record" in body and 'name="version" value="2"' in body
    liaison.refresh_from_db()
    assert liaison.role == Role.CASEWORKER


def test_the_last_admin_is_kept(world):
    admin = membership(world.fr_admin, world.ngo_fr)
    client = signed_in(world.fr_admin)
    response = client.post(reverse("cases:member_edit", args=[admin.pk]),
                           {"role": "auditor", "version": admin.version})
    assert response.status_code == 400
    assert "keeps at least one admin" in response.content.decode()
    response = client.post(reverse("cases:member_remove", args=[admin.pk]),
                           {"next": reverse("cases:member_list")}, follow=True)
    assert "keeps at least one admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ORG_ADMIN


def test_an_admin_removes_a_member(world):
    liaison = membership(world.fr_liaison, world.ngo_fr)
    response = signed_in(world.fr_admin).post(reverse("cases:member_remove", args=[liaison.pk]),
                                              follow=True)
    assert "The member was removed." in response.content.decode()
    assert not Membership.objects.filter(pk=liaison.pk).exists()


def test_the_member_list_costs_the_same_queries_for_5_or_60(world):
    def count() -> int:
        client = signed_in(world.fr_admin)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cases:member_list")).status_code == 200
        return len(queries)

    few = count()
    for i in range(56):
        Membership.objects.create(user=UserFactory(username=f"extra{i}"),
                                  organisation=world.ngo_fr, role=Role.AUDITOR)
    assert count() == few


# --- sharing groups --------------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
def test_groups_and_their_members_are_seen_by_members_only(world, who):
    page = signed_in(getattr(world, who)).get(reverse("cases:group_list"))
    assert page.status_code == 200
    body = page.content.decode()
    member = who.startswith(("fr", "de"))
    assert ("FR-DE" in body) == member
    assert ("Ministry De" in body) == member
    edit = reverse("cases:group_edit", args=[world.fr_de_group.pk])
    assert (f'href="{edit}"' in body) == (
        who == "fr_admin")
    assert (reverse("cases:group_leave", args=[world.fr_de_group.pk]) in body) == (
        who == "de_admin")


@pytest.mark.parametrize("who", EVERYONE)
def test_only_the_owners_admins_edit_or_delete_a_group(world, who):
    client = signed_in(getattr(world, who))
    group = world.fr_de_group
    expected = 200 if who == "fr_admin" else 404 if who.startswith("it") else 403
    assert client.get(reverse("cases:group_edit", args=[group.pk])).status_code == expected
    response = client.post(reverse("cases:group_delete", args=[group.pk]))
    assert response.status_code == (302 if expected == 200 else expected)
    assert SharingGroup.objects.filter(pk=group.pk).exists() == (who != "fr_admin")


@pytest.mark.parametrize("who", EVERYONE)
def test_only_admins_create_groups(world, who):
    client = signed_in(getattr(world, who))
    expected = 200 if who.endswith("admin") else 403
    assert client.get(reverse("cases:group_create")).status_code == expected
    response = client.post(reverse("cases:group_create"), {"name": f"Group of {who}"})
    assert response.status_code == (302 if expected == 200 else 403)
    assert SharingGroup.objects.filter(name=f"Group of {who}").exists() == (expected == 200)


def test_an_admin_creates_a_group_with_members(world):
    response = signed_in(world.fr_admin).post(
        reverse("cases:group_create"),
        {"name": "FR-IT", "description": "Italy desk", "members": [world.ngo_it.pk]})
    assert response.status_code == 302
    group = SharingGroup.objects.get(name="FR-IT")
    assert group.owner == world.ngo_fr and _members(group) == {"ngo-fr", "ngo-it"}


@pytest.mark.parametrize("fields, field", [
    ({"name": "FR-DE"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "X", "members": ["999999"]}, "members"),
    ({"name": "X", "members": ["abc"]}, "members"),
    ({"name": "X\x00"}, "name"),
])
def test_bad_groups_are_400_next_to_the_field(world, fields, field):
    before = SharingGroup.objects.count()
    response = signed_in(world.fr_admin).post(reverse("cases:group_create"), fields)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert SharingGroup.objects.count() == before


def test_an_owner_admin_edits_a_group_with_its_version(world):
    group = world.fr_de_group
    client = signed_in(world.fr_admin)
    url = reverse("cases:group_edit", args=[group.pk])
    page = client.get(url).content.decode()
    assert f'<option value="{world.ministry_de.pk}" selected>' in page
    response = client.post(url, {"name": "FR-DE-IT", "description": "",
                                 "members": [world.ministry_de.pk, world.ngo_it.pk],
                                 "version": group.version})
    assert response.status_code == 302
    group.refresh_from_db()
    assert group.name == "FR-DE-IT" and _members(group) == {"ngo-fr", "ministry-de", "ngo-it"}
    stale = client.post(url, {"name": "Other", "members": [], "version": 1})
    assert stale.status_code == 409
    assert "FR-DE-IT" in stale.content.decode()
    group.refresh_from_db()
    assert group.name == "FR-DE-IT" and len(_members(group)) == 3


def test_a_member_sharing_cases_through_the_group_is_kept(world):
    CaseFactory(owner=world.ministry_de, distribution=Distribution.SHARING_GROUP,
                sharing_group=world.fr_de_group)
    group = world.fr_de_group
    response = signed_in(world.fr_admin).post(
        reverse("cases:group_edit", args=[group.pk]),
        {"name": group.name, "members": [], "version": group.version})
    assert response.status_code == 400
    assert 'id="id_members_error"' in response.content.decode()
    assert "ministry-de" in _members(group)


def test_a_member_admin_leaves_and_the_owner_cannot(world):
    group = world.fr_de_group
    url = reverse("cases:group_leave", args=[group.pk])
    assert signed_in(world.de_caseworker).post(url).status_code == 403
    assert signed_in(world.it_admin).post(url).status_code == 404
    response = signed_in(world.fr_admin).post(url, {"next": reverse("cases:group_list")},
                                              follow=True)
    assert "The owner keeps its group" in response.content.decode()
    response = signed_in(world.de_admin).post(url, follow=True)
    assert "Your organisation left the group." in response.content.decode()
    assert _members(group) == {"ngo-fr"}
    assert not SharingGroupMembership.objects.filter(group=group,
                                                     organisation=world.ministry_de).exists()


def test_a_group_still_used_is_not_deleted(world):
    CaseFactory(owner=world.ngo_fr, distribution=Distribution.SHARING_GROUP,
                sharing_group=world.fr_de_group)
    response = signed_in(world.fr_admin).post(
        reverse("cases:group_delete", args=[world.fr_de_group.pk]),
        {"next": reverse("cases:group_list")}, follow=True)
    assert "Records are still shared through this group" in response.content.decode()
    assert SharingGroup.objects.filter(pk=world.fr_de_group.pk).exists()


def test_the_group_list_costs_the_same_queries_for_5_or_60(world):
    def count() -> int:
        client = signed_in(world.de_caseworker)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("cases:group_list")).status_code == 200
        return len(queries)

    for i in range(4):
        SharingGroupMembership.objects.create(
            group=SharingGroup.objects.create(name=f"G{i}", owner=world.ngo_fr),
            organisation=world.ministry_de)
    few = count()
    for i in range(4, 60):
        SharingGroupMembership.objects.create(
            group=SharingGroup.objects.create(name=f"G{i}", owner=world.ngo_fr),
            organisation=world.ministry_de)
    assert count() == few
