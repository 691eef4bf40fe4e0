"""The admin: staff manage organisations, members and reference data; case data stays behind
the policy, read-only, and a subject shows only its pseudonymous reference."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory
from django.urls import reverse

from cases import audit
from cases.audit import verify_chain
from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    Country,
    LegalInstrument,
    Membership,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    Subject,
)
from cases.models.sharing import TLP, Distribution

from ..factories import (
    AssuranceFactory,
    CaseFactory,
    MembershipFactory,
    ProceedingFactory,
    SubjectFactory,
    country,
    sign_in_with_two_factors,
)

User = get_user_model()
CASE_DATA = [Case, Subject, Assurance, ProceedingEvent, AuditEvent]


def url(model, view: str, *args) -> str:
    return reverse(f"admin:cases_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def staff_client(world) -> Client:
    client = Client()
    sign_in_with_two_factors(client, world.staff)
    return client


def case_of(world, distribution=Distribution.ORGANISATION, tlp=TLP.AMBER, **fields) -> Case:
    subject = SubjectFactory(
        owner=world.ngo_fr,
        full_name=fields.pop("full_name", "Fictional Person Unseen"),
        contacts="Lawyer: Maître Caché, +33 1 99 99 99 99",
    )
    group = world.fr_de_group if distribution == Distribution.SHARING_GROUP else None
    case = CaseFactory(
        owner=world.ngo_fr, subject=subject, distribution=distribution, sharing_group=group,
        tlp=tlp, **fields,
    )
    AssuranceFactory(case=case)
    ProceedingFactory(case=case, description="Hearing notes naming the family")
    return case


def stored(model) -> int:
    """Rows of `model`; a refused request's own trace (access_denied) is not a write."""
    rows = model.objects.all()
    if model is AuditEvent:
        rows = rows.exclude(action=AuditEvent.Action.ACCESS_DENIED)
    return rows.count()


def records_of(case: Case) -> dict[type, object]:
    return {
        Case: case,
        Subject: case.subject,
        Assurance: case.assurances.get(),
        ProceedingEvent: case.proceedings.get(),
    }


# --- case data: only what the staff member's memberships show --------------------------------


@pytest.mark.parametrize(
    ("distribution", "tlp"),
    [
        (Distribution.ORGANISATION, TLP.AMBER),
        (Distribution.SHARING_GROUP, TLP.AMBER),
        (Distribution.NETWORK, TLP.GREEN),
        (Distribution.AGGREGATE_ONLY, TLP.AMBER_STRICT),
    ],
)
def test_staff_without_a_membership_see_no_case_data(world, staff_client, distribution, tlp):
    case = case_of(world, distribution, tlp)

    for model, obj in records_of(case).items():
        assert staff_client.get(url(model, "change", obj.pk)).status_code == 404, model
        listing = staff_client.get(url(model, "changelist"))
        assert listing.status_code == 200
        assert listing.context["cl"].result_count == 0, model
        assert str(obj.pk) not in listing.content.decode()
    assert case.reference not in staff_client.get(url(Case, "changelist")).content.decode()
    assert staff_client.get(url(AuditEvent, "changelist")).context["cl"].result_count == 0


@pytest.mark.parametrize("role", [r.value for r in Membership.Role])
def test_staff_given_a_membership_behind_the_services_still_see_no_case_data(
        world, staff_client, role):
    # The services refuse to make staff members; a row written past them opens nothing.
    MembershipFactory(user=world.staff, organisation=world.ngo_fr, role=role)
    case = case_of(world, Distribution.NETWORK, TLP.GREEN, full_name="Wang Nevershown")

    for model, obj in records_of(case).items():
        assert staff_client.get(url(model, "change", obj.pk)).status_code == 404, model
        assert staff_client.get(url(model, "changelist")).context["cl"].result_count == 0
    assert staff_client.get(url(AuditEvent, "changelist")).context["cl"].result_count == 0
    assert "Nevershown" not in staff_client.get(
        url(Subject, "changelist") + "?q=Nevershown").content.decode().replace(
        "q=Nevershown", "").replace('value="Nevershown"', "")


def test_a_record_refused_to_staff_in_the_admin_is_audited_as_everywhere(world, staff_client):
    case = case_of(world)

    assert staff_client.get(url(Case, "change", case.pk)).status_code == 404
    assert staff_client.get(url(Case, "change", case.pk)).status_code == 404

    refusal = AuditEvent.objects.get(action=AuditEvent.Action.ACCESS_DENIED)
    assert (refusal.actor_id, refusal.organisation_id, refusal.object_id) == (
        world.staff.pk, world.ngo_fr.pk, str(case.pk))


def test_the_subject_admin_is_configured_without_identifying_fields(world):
    subject_admin = admin.site._registry[Subject]
    request = RequestFactory().get("/")
    request.user = world.staff
    subject = SubjectFactory(owner=world.ngo_fr)
    shown = {
        *subject_admin.get_fields(request, subject),
        *subject_admin.list_display,
        *subject_admin.search_fields,
        *subject_admin.get_readonly_fields(request, subject),
    }
    assert shown.isdisjoint(Subject.IDENTIFYING_FIELDS)


# --- case data: read-only, nothing deleted ---------------------------------------------------


def test_case_data_cannot_be_added_changed_or_deleted_in_the_admin(world, staff_client):
    case = case_of(world)
    records = records_of(case)
    records[AuditEvent] = audit.record(world.fr_admin, AuditEvent.Action.CREATE, case)
    counts = {model: stored(model) for model in CASE_DATA}

    for model, obj in records.items():
        change = url(model, "change", obj.pk)
        assert staff_client.get(url(model, "add")).status_code == 403, model
        # Staff without a membership do not see case data: a change or a deletion is a 404.
        assert staff_client.post(change, {"status": "refused"}).status_code == 404, model
        assert staff_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == (
            404), model
        bulk = staff_client.post(
            url(model, "changelist"),
            {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"},
        )
        assert bulk.status_code in (200, 302, 403), model

    assert {model: stored(model) for model in CASE_DATA} == counts
    case.refresh_from_db()
    assert case.status == Case.Status.REQUEST_RECEIVED


@pytest.mark.parametrize("model", CASE_DATA)
def test_no_admin_permission_or_action_writes_case_data(world, model):
    model_admin = admin.site._registry[model]
    request = RequestFactory().get("/")
    request.user = world.staff
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}


# --- staff business: organisations, members, sharing groups, reference data ------------------


def test_staff_create_an_organisation_through_the_service(world, staff_client):
    response = staff_client.post(
        url(Organisation, "add"),
        {"slug": "court-be", "name": "Court of Appeal (demo)", "kind": "court", "country": "BE"},
    )

    assert response.status_code == 302, response.content[:2000]
    organisation = Organisation.objects.get(slug="court-be")
    event = AuditEvent.objects.get(object_type="organisation", object_id=str(organisation.pk))
    assert (event.action, event.actor_id) == (AuditEvent.Action.CREATE, world.staff.pk)
    assert verify_chain().ok


def test_staff_rename_an_organisation_but_not_its_slug_and_never_delete_it(world, staff_client):
    organisation = world.ngo_it
    response = staff_client.post(
        url(Organisation, "change", organisation.pk),
        {"slug": "renamed", "name": "Osservatorio (renamed)", "kind": "ngo", "country": "IT"},
    )

    assert response.status_code == 302
    organisation.refresh_from_db()
    assert (organisation.slug, organisation.name) == ("ngo-it", "Osservatorio (renamed)")
    event = AuditEvent.objects.get(object_type="organisation", action=AuditEvent.Action.UPDATE)
    assert event.changed_fields == ["name"]
    assert staff_client.get(url(Organisation, "delete", organisation.pk)).status_code == 403


def test_staff_add_a_member_through_the_service(world, staff_client):
    newcomer = User.objects.create_user("newcomer", password="x")

    response = staff_client.post(
        url(Membership, "add"),
        {"user": newcomer.pk, "organisation": world.ngo_it.pk, "role": "liaison"},
    )

    assert response.status_code == 302, response.content[:2000]
    assert Membership.objects.get(user=newcomer).role == "liaison"
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_CHANGE)
    assert event.actor_username == f"staff:{world.staff.username}"
    assert event.detail == {"user": "newcomer", "role": "liaison", "change": "added"}


def test_a_second_membership_in_the_same_organisation_is_refused(world, staff_client):
    response = staff_client.post(
        url(Membership, "add"),
        {"user": world.it_auditor.pk, "organisation": world.ngo_it.pk, "role": "org_admin"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Membership.objects.get(user=world.it_auditor).role == Membership.Role.AUDITOR


def test_staff_change_a_role_but_an_organisation_keeps_its_last_admin(world, staff_client):
    liaison = Membership.objects.get(user=world.it_liaison)
    admin_membership = Membership.objects.get(user=world.it_admin)

    promoted = staff_client.post(url(Membership, "change", liaison.pk), {"role": "caseworker"})
    demoted = staff_client.post(
        url(Membership, "change", admin_membership.pk), {"role": "auditor"}
    )

    assert promoted.status_code == 302
    liaison.refresh_from_db()
    assert (liaison.role, liaison.version) == ("caseworker", 2)
    assert demoted.status_code == 200
    assert "keeps at least one admin" in demoted.content.decode()
    admin_membership.refresh_from_db()
    assert admin_membership.role == Membership.Role.ORG_ADMIN
    assert staff_client.get(url(Membership, "delete", admin_membership.pk)).status_code == 403


def test_staff_remove_a_member_through_the_service(world, staff_client):
    liaison = Membership.objects.get(user=world.it_liaison)

    response = staff_client.post(url(Membership, "delete", liaison.pk), {"post": "yes"})

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=liaison.pk).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.PERMISSION_CHANGE)
    assert event.detail["change"] == "removed"


def test_sharing_group_members_changed_by_staff_are_logged(world, staff_client):
    group = world.fr_de_group
    change = url(SharingGroup, "change", group.pk)

    response = staff_client.post(
        change,
        {"name": group.name, "description": "", "member_organisations": [world.ministry_de.pk,
                                                                         world.ngo_it.pk]},
    )

    assert response.status_code == 302, response.content[:2000]
    assert set(group.memberships.values_list("organisation__slug", flat=True)) == {
        "ngo-fr", "ministry-de", "ngo-it"
    }
    share = AuditEvent.objects.get(action=AuditEvent.Action.SHARE)
    assert share.detail == {"added": ["ngo-it"]}
    assert verify_chain().ok


def test_staff_cannot_remove_an_organisation_that_shares_cases_through_the_group(world,
                                                                                 staff_client):
    group = world.fr_de_group
    CaseFactory(owner=world.ministry_de, distribution=Distribution.SHARING_GROUP,
                sharing_group=group)

    response = staff_client.post(
        url(SharingGroup, "change", group.pk),
        {"name": group.name, "description": "", "member_organisations": []},
    )

    assert response.status_code == 200
    assert "cannot be removed" in response.content.decode()
    assert group.memberships.filter(organisation=world.ministry_de).exists()
    assert not AuditEvent.objects.exclude(action=AuditEvent.Action.LOGIN).exists()


def test_reference_data_is_editable_and_logged_but_never_deleted(world, staff_client):
    response = staff_client.post(
        url(Country, "change", "FR"),
        {"name": "France (République française)", "eu_member": "on", "eea_member": "on",
         "coe_member": "on", "memberships_as_of": "2026-11-01",
         "memberships_source": "europa.eu"},
    )

    assert response.status_code == 302, response.content[:2000]
    france = country("FR")
    assert (france.name, france.eu_member) == ("France (République française)", True)
    event = AuditEvent.objects.get(object_type="country")
    assert "name" in event.changed_fields
    instrument = LegalInstrument.objects.first()
    for page in (url(Country, "delete", "FR"), url(LegalInstrument, "delete", instrument.pk)):
        assert staff_client.get(page).status_code == 403
    assert staff_client.get(url(LegalInstrument, "change", instrument.pk)).status_code == 200


def test_accounts_are_never_deleted_in_the_admin(world, staff_client):
    page = reverse("admin:auth_user_delete", args=[world.fr_caseworker.pk])

    assert staff_client.post(page, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=world.fr_caseworker.pk).exists()


def test_people_who_are_not_staff_do_not_reach_the_admin(world):
    client = Client()
    client.force_login(world.fr_admin)
    response = client.get(url(Case, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_create_a_sharing_group_whose_owner_is_always_a_member(world, staff_client):
    response = staff_client.post(
        url(SharingGroup, "add"),
        {"name": "IT-DE", "owner": world.ngo_it.pk, "description": "",
         "member_organisations": [world.ministry_de.pk]},
    )
    duplicate = staff_client.post(
        url(SharingGroup, "add"),
        {"name": "IT-DE", "owner": world.ngo_it.pk, "description": "",
         "member_organisations": []},
    )

    assert response.status_code == 302, response.content[:2000]
    group = SharingGroup.objects.get(owner=world.ngo_it, name="IT-DE")
    assert set(group.memberships.values_list("organisation__slug", flat=True)) == {
        "ngo-it", "ministry-de"
    }
    assert duplicate.status_code == 200
    assert SharingGroup.objects.filter(owner=world.ngo_it, name="IT-DE").count() == 1
    events = AuditEvent.objects.exclude(action=AuditEvent.Action.LOGIN).order_by("seq")
    actions = list(events.values_list("action", flat=True))
    assert actions == [AuditEvent.Action.CREATE, AuditEvent.Action.SHARE]


def test_a_sharing_group_cannot_take_the_name_of_another_of_its_owner(world, staff_client):
    other = SharingGroup.objects.create(name="FR-IT", owner=world.ngo_fr)

    response = staff_client.post(
        url(SharingGroup, "change", other.pk),
        {"name": "FR-DE", "description": "", "member_organisations": []},
    )

    assert response.status_code == 200
    other.refresh_from_db()
    assert other.name == "FR-IT"
