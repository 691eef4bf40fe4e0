"""Optimistic concurrency (DESIGN.md §6): every PATCH carries the `version` it loaded. A stale
version gets 409 with the current version and changes nothing; a write without a version is
refused; a successful write moves the version on by exactly one."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Membership,
    Offence,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)
from cases.models.cases import CaseStatus

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, ProceedingFactory, SubjectFactory

STORED = (
    Case,
    Case.named_recipients.through,
    Offence,
    CaseTransition,
    Subject,
    SubjectNationality,
    Assurance,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Membership,
    AuditEvent,
)


def snapshot() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED}


@pytest.fixture
def rec(world):
    subject = SubjectFactory(owner=world.ngo_fr, full_name="Original Name")
    case = CaseFactory(owner=world.ngo_fr, subject=subject,
                       request_date=datetime.date(2026, 3, 1))
    return SimpleNamespace(
        world=world,
        case=case,
        subject=subject,
        assurance=AssuranceFactory(case=case),
        proceeding=ProceedingFactory(case=case, date=datetime.date(2026, 3, 5)),
        group=world.fr_de_group,
        membership=Membership.objects.get(user=world.fr_caseworker),
    )


# (endpoint, record, who writes, first change, second change, how to read the field back)
RESOURCES = [
    pytest.param("cases", "case", "fr_caseworker", {"legal_basis_note": "first"},
                 {"legal_basis_note": "second"}, lambda o: o.legal_basis_note, id="case"),
    pytest.param("cases", "case", "fr_caseworker",
                 {"offences": [{"description": "Fraud", "category": "economic_corruption"}]},
                 {"offences": [{"description": "Theft", "category": "other"}]},
                 lambda o: [x.description for x in o.offences.all()], id="case-offences"),
    pytest.param("subjects", "subject", "fr_caseworker", {"full_name": "First Name"},
                 {"full_name": "Second Name"}, lambda o: o.full_name, id="subject"),
    pytest.param("subjects", "subject", "fr_caseworker",
                 {"nationalities": [{"country": "DE"}]}, {"nationalities": [{"country": "IT"}]},
                 lambda o: [n.country_id for n in o.nationalities.all()],
                 id="subject-nationalities"),
    pytest.param("assurances", "assurance", "fr_caseworker", {"issuer": "Embassy"},
                 {"issuer": "Court"}, lambda o: o.issuer, id="assurance"),
    pytest.param("proceedings", "proceeding", "fr_liaison", {"authority": "First court"},
                 {"authority": "Second court"}, lambda o: o.authority, id="proceeding"),
    pytest.param("sharing-groups", "group", "fr_admin", {"description": "first"},
                 {"description": "second"}, lambda o: o.description, id="sharing-group"),
    pytest.param("sharing-groups", "group", "fr_admin", {"members": []},
                 {"members": ["ministry-de", "ngo-it"]},
                 lambda o: sorted(o.members.values_list("slug", flat=True)),
                 id="sharing-group-members"),
    pytest.param("memberships", "membership", "fr_admin", {"role": "liaison"},
                 {"role": "auditor"}, lambda o: o.role, id="membership"),
]
PARAMS = ("endpoint", "record", "who", "first", "second", "read")


def _url(rec, endpoint, record) -> str:
    return f"/api/v1/{endpoint}/{getattr(rec, record).pk}/"


def _fresh(rec, record):
    obj = getattr(rec, record)
    return type(obj).objects.get(pk=obj.pk)


@pytest.mark.parametrize(PARAMS, RESOURCES)
def test_a_successful_patch_moves_the_version_on_by_one(
    rec, endpoint, record, who, first, second, read
):
    client = api_client(getattr(rec.world, who))
    loaded = client.get(_url(rec, endpoint, record)).json()["version"]

    response = client.patch(_url(rec, endpoint, record), {**first, "version": loaded},
                            format="json")

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == loaded + 1
    assert _fresh(rec, record).version == loaded + 1
    again = client.patch(_url(rec, endpoint, record), {**second, "version": loaded + 1},
                         format="json")
    assert again.status_code == 200, again.json()
    assert again.json()["version"] == loaded + 2


@pytest.mark.parametrize("stale_by", [-1, 1, 1000])
@pytest.mark.parametrize(PARAMS, RESOURCES)
def test_a_stale_version_is_409_with_the_current_version_and_changes_nothing(
    rec, endpoint, record, who, first, second, read, stale_by
):
    client = api_client(getattr(rec.world, who))
    # Move the record on once, so that both an older and a newer version are wrong.
    assert client.patch(_url(rec, endpoint, record), {**first, "version": 1},
                        format="json").status_code == 200
    current = _fresh(rec, record).version
    assert current == 2
    stale = current + stale_by
    kept = read(_fresh(rec, record))
    before = snapshot()

    response = client.patch(_url(rec, endpoint, record), {**second, "version": stale},
                            format="json")

    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["current_version"] == current
    assert body["detail"]
    assert snapshot() == before
    assert read(_fresh(rec, record)) == kept


@pytest.mark.parametrize(PARAMS, RESOURCES)
def test_a_patch_without_a_version_is_400_and_changes_nothing(
    rec, endpoint, record, who, first, second, read
):
    before = snapshot()

    response = api_client(getattr(rec.world, who)).patch(
        _url(rec, endpoint, record), first, format="json"
    )

    assert response.status_code == 400
    assert "version" in response.json()
    assert snapshot() == before


@pytest.mark.parametrize(PARAMS, RESOURCES)
def test_two_editors_of_the_same_version_the_first_wins_and_the_second_gets_409(
    rec, endpoint, record, who, first, second, read
):
    user = getattr(rec.world, who)
    alice, bob = api_client(user), api_client(user)
    loaded_by_alice = alice.get(_url(rec, endpoint, record)).json()
    loaded_by_bob = bob.get(_url(rec, endpoint, record)).json()
    assert loaded_by_alice["version"] == loaded_by_bob["version"]

    won = alice.patch(_url(rec, endpoint, record),
                      {**first, "version": loaded_by_alice["version"]}, format="json")
    assert won.status_code == 200, won.json()
    kept = read(_fresh(rec, record))
    before = snapshot()

    lost = bob.patch(_url(rec, endpoint, record),
                     {**second, "version": loaded_by_bob["version"]}, format="json")

    assert lost.status_code == 409, lost.json()
    assert lost.json()["current_version"] == loaded_by_alice["version"] + 1
    assert read(_fresh(rec, record)) == kept
    assert snapshot() == before
    # Bob reloads and applies his change again: now it goes through.
    reloaded = bob.get(_url(rec, endpoint, record)).json()["version"]
    retried = bob.patch(_url(rec, endpoint, record), {**second, "version": reloaded},
                        format="json")
    assert retried.status_code == 200, retried.json()
    assert read(_fresh(rec, record)) != kept


@pytest.mark.parametrize(PARAMS, RESOURCES)
def test_a_stale_patch_that_is_also_invalid_changes_nothing(
    rec, endpoint, record, who, first, second, read
):
    before = snapshot()
    response = api_client(getattr(rec.world, who)).patch(
        _url(rec, endpoint, record), {**first, "version": 99, "no_such_field": 1},
        format="json",
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_stale_version_changes_nothing_when_the_sharing_widens(rec):
    # A write that would also share the case: refused whole, no share event.
    client = api_client(rec.world.fr_caseworker)
    assert client.patch(f"/api/v1/cases/{rec.case.pk}/",
                        {"legal_basis_note": "x", "version": 1}, format="json").status_code == 200
    before = snapshot()

    response = client.patch(
        f"/api/v1/cases/{rec.case.pk}/",
        {"distribution": "sharing_group", "sharing_group": rec.group.pk, "version": 1},
        format="json",
    )

    assert response.status_code == 409
    assert snapshot() == before
    assert api_client(rec.world.de_caseworker).get(f"/api/v1/cases/{rec.case.pk}/"
                                                   ).status_code == 404


# --- transitions -------------------------------------------------------------------------------


def transition(client, case, version=None, to=CaseStatus.JUDICIAL_PHASE, **extra):
    body = {"to": to, "date": "2026-06-01", **extra}
    if version is not None:
        body["version"] = version
    return client.post(f"/api/v1/cases/{case.pk}/transition/", body, format="json")


@pytest.mark.parametrize("stale", [0, 2, 5])
def test_a_transition_carrying_a_stale_version_is_409_and_changes_nothing(rec, stale):
    client = api_client(rec.world.fr_caseworker)
    if stale == 0:
        # Version 1 becomes stale once the case is edited.
        assert client.patch(f"/api/v1/cases/{rec.case.pk}/",
                            {"legal_basis_note": "edited", "version": 1},
                            format="json").status_code == 200
        stale = 1
    current = Case.objects.get(pk=rec.case.pk).version
    before = snapshot()

    response = transition(client, rec.case, version=stale)

    assert response.status_code == 409, response.json()
    assert response.json()["current_version"] == current
    assert snapshot() == before
    assert Case.objects.get(pk=rec.case.pk).status == CaseStatus.REQUEST_RECEIVED


def test_a_transition_with_the_current_version_moves_the_version_on_by_one(rec):
    response = transition(api_client(rec.world.fr_caseworker), rec.case, version=1)

    assert response.status_code == 200, response.json()
    assert response.json()["version"] == 2
    assert response.json()["status"] == CaseStatus.JUDICIAL_PHASE
    assert Case.objects.get(pk=rec.case.pk).version == 2


def test_two_liaisons_moving_the_same_case_the_first_wins(rec):
    alice = api_client(rec.world.fr_liaison)
    bob = api_client(rec.world.fr_caseworker)
    version = alice.get(f"/api/v1/cases/{rec.case.pk}/").json()["version"]
    assert bob.get(f"/api/v1/cases/{rec.case.pk}/").json()["version"] == version

    won = transition(alice, rec.case, version=version, to=CaseStatus.JUDICIAL_PHASE)
    assert won.status_code == 200, won.json()
    before = snapshot()
    lost = transition(bob, rec.case, version=version, to=CaseStatus.WITHDRAWN)

    assert lost.status_code == 409, lost.json()
    assert lost.json()["current_version"] == version + 1
    assert snapshot() == before
    case = Case.objects.get(pk=rec.case.pk)
    assert case.status == CaseStatus.JUDICIAL_PHASE
    assert list(CaseTransition.objects.filter(case=case).values_list("to_status", flat=True)
                ) == [CaseStatus.JUDICIAL_PHASE]


def test_an_edit_after_a_transition_with_the_old_version_is_409(rec):
    editor = api_client(rec.world.fr_caseworker)
    loaded = editor.get(f"/api/v1/cases/{rec.case.pk}/").json()["version"]
    assert transition(api_client(rec.world.fr_liaison), rec.case).status_code == 200
    before = snapshot()

    response = editor.patch(f"/api/v1/cases/{rec.case.pk}/",
                            {"legal_basis_note": "overwrite", "version": loaded}, format="json")

    assert response.status_code == 409
    assert response.json()["current_version"] == loaded + 1
    assert snapshot() == before


def test_a_case_edited_between_load_and_transition_is_409(rec):
    mover = api_client(rec.world.fr_liaison)
    loaded = mover.get(f"/api/v1/cases/{rec.case.pk}/").json()["version"]
    assert api_client(rec.world.fr_caseworker).patch(
        f"/api/v1/cases/{rec.case.pk}/", {"arrest_date": "2026-03-02", "version": loaded},
        format="json",
    ).status_code == 200

    before = snapshot()

    response = transition(mover, rec.case, version=loaded)

    assert response.status_code == 409
    assert response.json()["current_version"] == loaded + 1
    assert snapshot() == before
