"""Members and sharing groups: an organisation's admins manage its own people and groups, and
nobody else's."""

from __future__ import annotations

import pytest

from cases.models import AuditEvent, Case, Membership, SharingGroup, SharingGroupMembership
from cases.models.sharing import TLP, Distribution

from ..conftest import api_client, session_client
from ..factories import CaseFactory, SharingGroupFactory, SubjectFactory, UserFactory

Role = Membership.Role


def membership_of(user, organisation) -> Membership:
    return Membership.objects.get(user=user, organisation=organisation)


def add(caller, organisation: str, username: str, role: str = "caseworker"):
    return api_client(caller).post(
        "/api/v1/memberships/",
        {"organisation": organisation, "user": username, "role": role},
        format="json",
    )


def set_role(caller, membership: Membership, role: str, version: int | None = None):
    return api_client(caller).patch(
        f"/api/v1/memberships/{membership.pk}/",
        {"role": role, "version": version or membership.version},
        format="json",
    )


def remove(caller, membership: Membership):
    return api_client(caller).delete(f"/api/v1/memberships/{membership.pk}/")


# --- an admin manages its own organisation ---------------------------------------------------


def test_an_admin_adds_an_existing_user_by_username(world):
    newcomer = UserFactory(username="newcomer")

    response = add(world.fr_admin, "ngo-fr", "newcomer", "liaison")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["organisation"], body["user"], body["role"], body["version"]) == (
        "ngo-fr", "newcomer", "liaison", 1
    )
    assert membership_of(newcomer, world.ngo_fr).role == Role.LIAISON
    me = api_client(newcomer).get("/api/v1/me/").json()
    assert me["memberships"] == [
        {"organisation": "ngo-fr", "organisation_name": "Ngo Fr", "role": "liaison"}
    ]


def test_an_unknown_username_or_an_existing_member_is_refused(world):
    unknown = add(world.fr_admin, "ngo-fr", "nobody_here")
    twice = add(world.fr_admin, "ngo-fr", "fr_caseworker", "auditor")

    assert unknown.status_code == 400
    assert "user" in unknown.json()
    assert twice.status_code == 400
    assert "user" in twice.json()
    assert membership_of(world.fr_caseworker, world.ngo_fr).role == Role.CASEWORKER


def test_a_member_of_another_organisation_joins_only_by_accepting_an_invitation(world):
    response = add(world.fr_admin, "ngo-fr", "de_liaison", "auditor")
    assert response.status_code == 400
    assert not Membership.objects.filter(user=world.de_liaison, organisation=world.ngo_fr)

    invited = api_client(world.fr_admin).post(
        "/api/v1/invitations/",
        {"organisation": "ngo-fr", "user": "de_liaison", "role": "auditor"}, format="json")
    assert invited.status_code == 201
    accepted = api_client(world.de_liaison).post(
        f"/api/v1/invitations/{invited.json()['id']}/accept/")
    assert accepted.status_code == 200
    assert membership_of(world.de_liaison, world.ngo_fr).role == Role.AUDITOR
    assert membership_of(world.de_liaison, world.ministry_de).role == Role.LIAISON


def test_an_admin_changes_a_members_role(world):
    membership = membership_of(world.fr_caseworker, world.ngo_fr)

    response = set_role(world.fr_admin, membership, "auditor")

    assert response.status_code == 200
    assert (response.json()["role"], response.json()["version"]) == ("auditor", 2)
    membership.refresh_from_db()
    assert membership.role == Role.AUDITOR
    # The new role takes effect at once: an auditor cannot create a subject.
    created = api_client(world.fr_caseworker).post(
        "/api/v1/subjects/", {"full_name": "Fictional Person"}, format="json"
    )
    assert created.status_code == 403


def test_a_stale_version_changes_nothing(world):
    membership = membership_of(world.fr_caseworker, world.ngo_fr)
    assert set_role(world.fr_admin, membership, "liaison").status_code == 200

    stale = set_role(world.fr_admin, membership, "auditor", version=1)

    assert stale.status_code == 409
    membership.refresh_from_db()
    assert (membership.role, membership.version) == (Role.LIAISON, 2)


def test_an_admin_removes_a_member_who_then_loses_access_at_once(world):
    case = CaseFactory(owner=world.ngo_fr)
    client = api_client(world.fr_caseworker)
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 200

    response = remove(world.fr_admin, membership_of(world.fr_caseworker, world.ngo_fr))

    assert response.status_code == 204
    assert not Membership.objects.filter(user=world.fr_caseworker).exists()
    # Its last membership gone, its token goes with it (accounts/signals.py); signed in with a
    # session, it finds nothing.
    assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 401
    assert session_client(world.fr_caseworker).get(f"/api/v1/cases/{case.pk}/").status_code == 404


def test_an_update_cannot_move_a_membership_to_another_user_or_organisation(world):
    membership = membership_of(world.fr_caseworker, world.ngo_fr)

    response = api_client(world.fr_admin).patch(
        f"/api/v1/memberships/{membership.pk}/",
        {"organisation": "ministry-de", "user": "fr_liaison", "version": 1},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "organisation": ["This field is set when the record is created."],
        "user": ["This field is set when the record is created."],
    }
    membership.refresh_from_db()
    assert (membership.user, membership.organisation) == (world.fr_caseworker, world.ngo_fr)


@pytest.mark.parametrize("role", ["superuser", "owner", "", "ORG_ADMIN"])
def test_an_unknown_role_is_refused(world, role):
    UserFactory(username="newcomer")
    membership = membership_of(world.fr_caseworker, world.ngo_fr)

    created = add(world.fr_admin, "ngo-fr", "newcomer", role)
    changed = set_role(world.fr_admin, membership, role)

    assert created.status_code == 400
    assert "role" in created.json()
    assert changed.status_code == 400
    assert "role" in changed.json()
    assert not Membership.objects.filter(user__username="newcomer").exists()
    membership.refresh_from_db()
    assert membership.role == Role.CASEWORKER


# --- the last admin --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["caseworker", "liaison", "auditor"])
def test_the_last_admin_cannot_be_demoted(world, role):
    membership = membership_of(world.fr_admin, world.ngo_fr)

    response = set_role(world.fr_admin, membership, role)

    assert response.status_code == 400
    membership.refresh_from_db()
    assert membership.role == Role.ORG_ADMIN


def test_the_last_admin_cannot_be_removed(world):
    membership = membership_of(world.fr_admin, world.ngo_fr)

    response = remove(world.fr_admin, membership)

    assert response.status_code == 400
    assert Membership.objects.filter(pk=membership.pk, role=Role.ORG_ADMIN).exists()


def test_with_a_second_admin_one_may_step_down(world):
    second = membership_of(world.fr_liaison, world.ngo_fr)
    assert set_role(world.fr_admin, second, "org_admin").status_code == 200

    stepped_down = set_role(world.fr_admin, membership_of(world.fr_admin, world.ngo_fr),
                            "caseworker")
    assert stepped_down.status_code == 200
    # Now fr_liaison is the only admin left, and stays one.
    second.refresh_from_db()
    assert remove(world.fr_liaison, second).status_code == 400
    assert set_role(world.fr_liaison, second, "liaison").status_code == 400


# --- other organisations and other roles -----------------------------------------------------


def test_an_admin_cannot_touch_another_organisations_memberships(world):
    theirs = membership_of(world.de_caseworker, world.ministry_de)
    client = api_client(world.fr_admin)

    assert client.get(f"/api/v1/memberships/{theirs.pk}/").status_code == 404
    assert set_role(world.fr_admin, theirs, "auditor").status_code == 404
    assert remove(world.fr_admin, theirs).status_code == 404

    theirs.refresh_from_db()
    assert theirs.role == Role.CASEWORKER
    # Nothing written; the refusal itself is audited, once.
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["access_denied"]


def test_an_admin_cannot_add_members_to_an_organisation_it_does_not_belong_to(world):
    UserFactory(username="newcomer")

    response = add(world.fr_admin, "ministry-de", "newcomer", "org_admin")

    # The organisation named is one the caller may not use: refused like any invalid value.
    assert response.status_code == 400
    assert "organisation" in response.json()
    assert not Membership.objects.filter(user__username="newcomer").exists()


def test_an_admin_cannot_add_members_where_it_is_not_an_admin(world):
    # fr_admin is also a caseworker of ministry_de: a member there, but no admin.
    Membership.objects.create(user=world.fr_admin, organisation=world.ministry_de,
                              role=Role.CASEWORKER)
    UserFactory(username="newcomer")

    response = add(world.fr_admin, "ministry-de", "newcomer")

    assert response.status_code == 403
    assert not Membership.objects.filter(user__username="newcomer").exists()
    theirs = membership_of(world.de_liaison, world.ministry_de)
    assert set_role(world.fr_admin, theirs, "auditor").status_code == 403
    assert remove(world.fr_admin, theirs).status_code == 403


def test_an_admin_of_two_organisations_names_the_one_it_adds_to(world):
    Membership.objects.create(user=world.fr_admin, organisation=world.ministry_de,
                              role=Role.ORG_ADMIN)
    newcomer = UserFactory(username="newcomer")

    response = add(world.fr_admin, "ministry-de", "newcomer", "auditor")

    assert response.status_code == 201
    assert membership_of(newcomer, world.ministry_de).role == Role.AUDITOR
    assert not Membership.objects.filter(user=newcomer, organisation=world.ngo_fr).exists()


NON_ADMINS = ["fr_caseworker", "fr_liaison", "fr_auditor"]


@pytest.mark.parametrize("who", NON_ADMINS)
def test_non_admins_cannot_change_memberships(world, who):
    user = getattr(world, who)
    UserFactory(username="newcomer")
    colleague = membership_of(world.fr_caseworker if who != "fr_caseworker" else world.fr_liaison,
                              world.ngo_fr)
    own = membership_of(user, world.ngo_fr)

    assert add(user, "ngo-fr", "newcomer").status_code == 403
    assert set_role(user, colleague, "auditor").status_code == 403
    assert set_role(user, own, "org_admin").status_code == 403
    assert remove(user, colleague).status_code == 403

    assert not Membership.objects.filter(user__username="newcomer").exists()
    colleague.refresh_from_db()
    own.refresh_from_db()
    assert colleague.version == own.version == 1
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin"])
def test_members_see_their_organisations_memberships_only(world, who):
    user = getattr(world, who)
    client = api_client(user)

    rows = client.get("/api/v1/memberships/").json()["results"]

    assert {(row["organisation"], row["user"], row["role"]) for row in rows} == {
        ("ngo-fr", "fr_caseworker", "caseworker"),
        ("ngo-fr", "fr_liaison", "liaison"),
        ("ngo-fr", "fr_auditor", "auditor"),
        ("ngo-fr", "fr_admin", "org_admin"),
    }
    assert client.get("/api/v1/memberships/?organisation=ministry-de").json()["results"] == []
    theirs = membership_of(world.de_admin, world.ministry_de)
    assert client.get(f"/api/v1/memberships/{theirs.pk}/").status_code == 404


def test_me_lists_every_membership(world):
    Membership.objects.create(user=world.fr_caseworker, organisation=world.ministry_de,
                              role=Role.AUDITOR)

    response = api_client(world.fr_caseworker).get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["username"] == "fr_caseworker"
    assert sorted(response.json()["memberships"], key=lambda m: m["organisation"]) == [
        {"organisation": "ministry-de", "organisation_name": "Ministry De", "role": "auditor"},
        {"organisation": "ngo-fr", "organisation_name": "Ngo Fr", "role": "caseworker"},
    ]
    rows = api_client(world.fr_caseworker).get("/api/v1/memberships/").json()["results"]
    assert {row["organisation"] for row in rows} == {"ngo-fr", "ministry-de"}


# --- sharing groups --------------------------------------------------------------------------


def group_url(group: SharingGroup) -> str:
    return f"/api/v1/sharing-groups/{group.pk}/"


def members_of(group: SharingGroup) -> set[str]:
    return set(
        SharingGroupMembership.objects.filter(group=group).values_list(
            "organisation__slug", flat=True
        )
    )


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (["ministry-de", "ngo-it"], {"ngo-fr", "ministry-de", "ngo-it"}),
        ([], {"ngo-fr"}),
        (None, {"ngo-fr"}),
        (["ngo-fr", "ngo-it"], {"ngo-fr", "ngo-it"}),
    ],
)
def test_an_admin_creates_a_group_and_its_organisation_is_always_a_member(
    world, members, expected
):
    body = {"name": "Monitoring partners", "description": "Visits in Beijing"}
    if members is not None:
        body["members"] = members

    response = api_client(world.fr_admin).post("/api/v1/sharing-groups/", body, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["owner"] == "ngo-fr"
    assert set(response.json()["members"]) == expected
    group = SharingGroup.objects.get(pk=response.json()["id"])
    assert group.owner == world.ngo_fr
    assert members_of(group) == expected


def test_a_group_name_is_unique_within_its_owner(world):
    response = api_client(world.fr_admin).post(
        "/api/v1/sharing-groups/", {"name": "FR-DE"}, format="json"
    )
    assert response.status_code == 400
    assert "name" in response.json()
    assert SharingGroup.objects.filter(name="FR-DE").count() == 1


@pytest.mark.parametrize(
    "who", ["fr_caseworker", "fr_liaison", "fr_auditor", "de_caseworker", "it_auditor"]
)
def test_only_admins_create_groups(world, who):
    response = api_client(getattr(world, who)).post(
        "/api/v1/sharing-groups/", {"name": "Unofficial", "members": ["ngo-it"]}, format="json"
    )
    assert response.status_code == 403
    assert not SharingGroup.objects.filter(name="Unofficial").exists()


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("fr_caseworker", True),
        ("fr_auditor", True),
        ("de_caseworker", True),
        ("de_admin", True),
        ("it_caseworker", False),
        ("it_admin", False),
    ],
)
def test_member_lists_are_visible_to_members_only(world, who, sees):
    client = api_client(getattr(world, who))

    detail = client.get(group_url(world.fr_de_group))
    listed = {row["id"] for row in client.get("/api/v1/sharing-groups/").json()["results"]}

    if sees:
        assert detail.status_code == 200
        assert set(detail.json()["members"]) == {"ngo-fr", "ministry-de"}
        assert world.fr_de_group.pk in listed
    else:
        assert detail.status_code == 404
        assert world.fr_de_group.pk not in listed


@pytest.mark.parametrize(("who", "status"), [
    ("fr_caseworker", 403), ("fr_auditor", 403), ("de_admin", 403), ("it_admin", 404),
])
def test_only_the_owners_admins_change_or_delete_a_group(world, who, status):
    client = api_client(getattr(world, who))
    group = world.fr_de_group

    renamed = client.patch(group_url(group), {"name": "Taken over", "version": 1}, format="json")
    joined = client.patch(group_url(group), {"members": ["ngo-it"], "version": 1}, format="json")
    deleted = client.delete(group_url(group))

    assert (renamed.status_code, joined.status_code, deleted.status_code) == (status,) * 3
    group.refresh_from_db()
    assert group.name == "FR-DE"
    assert members_of(group) == {"ngo-fr", "ministry-de"}


def test_an_admin_renames_and_extends_its_group(world):
    group = world.fr_de_group

    response = api_client(world.fr_admin).patch(
        group_url(group), {"name": "FR-DE-IT", "members": ["ministry-de", "ngo-it"],
                           "version": 1},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["name"] == "FR-DE-IT"
    assert members_of(group) == {"ngo-fr", "ministry-de", "ngo-it"}
    assert api_client(world.it_caseworker).get(group_url(group)).status_code == 200


def test_a_member_that_shares_cases_through_the_group_cannot_be_removed(world):
    group = world.fr_de_group
    CaseFactory(owner=world.ministry_de, distribution=Distribution.SHARING_GROUP,
                sharing_group=group, tlp=TLP.AMBER)

    response = api_client(world.fr_admin).patch(
        group_url(group), {"members": [], "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert "members" in response.json()
    assert members_of(group) == {"ngo-fr", "ministry-de"}
    group.refresh_from_db()
    assert group.version == 1


def test_removing_a_recipient_withdraws_the_owners_cases_from_it_at_once(world):
    group = world.fr_de_group
    case = CaseFactory(owner=world.ngo_fr, subject=SubjectFactory(owner=world.ngo_fr),
                       distribution=Distribution.SHARING_GROUP, sharing_group=group,
                       tlp=TLP.AMBER)
    assert api_client(world.de_liaison).get(f"/api/v1/cases/{case.pk}/").status_code == 200

    response = api_client(world.fr_admin).patch(
        group_url(group), {"members": [], "version": 1}, format="json"
    )

    assert response.status_code == 200
    assert members_of(group) == {"ngo-fr"}
    assert api_client(world.de_liaison).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.WITHDRAW, object_id=str(group.pk)
    ).get().detail == {"removed": ["ministry-de"]}


@pytest.mark.parametrize("case_owner", ["ngo_fr", "ministry_de"])
def test_a_group_still_used_by_a_case_cannot_be_deleted(world, case_owner):
    group = world.fr_de_group
    CaseFactory(owner=getattr(world, case_owner), distribution=Distribution.SHARING_GROUP,
                sharing_group=group, tlp=TLP.AMBER)

    response = api_client(world.fr_admin).delete(group_url(group))

    assert response.status_code == 400
    assert SharingGroup.objects.filter(pk=group.pk).exists()
    assert members_of(group) == {"ngo-fr", "ministry-de"}
    assert Case.objects.filter(sharing_group=group).count() == 1
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()


def test_an_unused_group_is_deleted(world):
    group = SharingGroupFactory(name="Old partners", owner=world.ngo_fr,
                                members=[world.ngo_it])

    response = api_client(world.fr_admin).delete(group_url(group))

    assert response.status_code == 204
    assert not SharingGroup.objects.filter(pk=group.pk).exists()
    assert not SharingGroupMembership.objects.filter(group_id=group.pk).exists()
    assert AuditEvent.objects.get(action=AuditEvent.Action.DELETE).object_id == str(group.pk)
