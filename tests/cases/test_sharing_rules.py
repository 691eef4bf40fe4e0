"""Sharing (DESIGN.md §4): the TLP 2.0 label is a ceiling on the distribution; TLP:RED stays
with named people of the owner; widening and withdrawing are audit events and take effect on
the next request; and outside the owner a case never shows who the person is."""

from __future__ import annotations

import datetime
import json

import pytest
from rest_framework.test import APIClient

from cases.models import AuditEvent, Case, Offence
from cases.models.sharing import TLP, TLP_CEILING, Distribution

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    MembershipFactory,
    ProceedingFactory,
    SharingGroupFactory,
    SubjectFactory,
    UserFactory,
)

ORG, GROUP, NET, AGG = (Distribution.ORGANISATION, Distribution.SHARING_GROUP,
                        Distribution.NETWORK, Distribution.AGGREGATE_ONLY)
ALL_DISTRIBUTIONS = (ORG, GROUP, NET, AGG)

# DESIGN.md §4, read independently of the code's table: RED stays with named people of the
# owner; AMBER+STRICT within the owner; AMBER reaches at most a sharing group; GREEN and CLEAR
# may go network-wide. `aggregate_only` shows the record to no one outside the owner.
ALLOWED = {
    TLP.CLEAR: {ORG, GROUP, NET, AGG},
    TLP.GREEN: {ORG, GROUP, NET, AGG},
    TLP.AMBER: {ORG, GROUP, AGG},
    TLP.AMBER_STRICT: {ORG, AGG},
    TLP.RED: {ORG},
}
PAIRS = [(tlp, d) for tlp in TLP.values for d in ALL_DISTRIBUTIONS]
ALLOWED_PAIRS = [(tlp, d) for tlp, d in PAIRS if d in ALLOWED[tlp]]


def _pair_id(pair) -> str:
    return f"{pair[0]}/{pair[1]}"


def test_the_code_table_matches_the_design():
    assert {tlp: set(TLP_CEILING[tlp]) for tlp in TLP.values} == ALLOWED


def new_case_body(world, **fields) -> dict:
    subject = SubjectFactory(owner=world.ngo_fr)
    return {"subject": str(subject.pk), "requesting_state": "CN", "requested_state": "FR",
            "channel": "extradition", **fields}


def sharing(world, tlp, distribution) -> dict:
    return {"tlp": tlp, "distribution": distribution,
            "sharing_group": world.fr_de_group.pk if distribution == GROUP else None}


def make_case(world, tlp=TLP.AMBER, distribution=ORG, **fields) -> Case:
    case = CaseFactory(
        owner=world.ngo_fr,
        subject=fields.pop("subject", None) or SubjectFactory(owner=world.ngo_fr),
        tlp=tlp,
        distribution=distribution,
        sharing_group=world.fr_de_group if distribution == GROUP else None,
        **fields,
    )
    if tlp == TLP.RED:
        case.named_recipients.set([world.fr_caseworker])
    return case


def stored(case: Case) -> dict:
    return Case.objects.filter(pk=case.pk).values().get()


def sees(user, case) -> bool:
    client = api_client(user)
    detail = client.get(f"/api/v1/cases/{case.pk}/").status_code
    listed = str(case.pk) in {row["id"] for row in client.get("/api/v1/cases/").json()["results"]}
    assert (detail == 200) == listed, (user.username, detail, listed)
    assert detail in (200, 404)
    return listed


# --- the ceiling ---------------------------------------------------------------------------


@pytest.mark.parametrize(("tlp", "distribution"), PAIRS, ids=map(_pair_id, PAIRS))
def test_every_label_and_distribution_on_create(world, tlp, distribution):
    before = Case.objects.count()

    response = api_client(world.fr_caseworker).post(
        "/api/v1/cases/", new_case_body(world, **sharing(world, tlp, distribution)),
        format="json",
    )

    if distribution in ALLOWED[tlp]:
        assert response.status_code == 201, response.json()
        assert (response.json()["tlp"], response.json()["distribution"]) == (tlp, distribution)
        assert Case.objects.count() == before + 1
    else:
        assert response.status_code == 400
        assert set(response.json()) == {"distribution"}, response.json()
        assert TLP(tlp).label in response.json()["distribution"][0]
        assert Case.objects.count() == before


@pytest.mark.parametrize(("tlp", "distribution"), PAIRS, ids=map(_pair_id, PAIRS))
@pytest.mark.parametrize("start", [(TLP.AMBER, ORG), (TLP.GREEN, NET)], ids=_pair_id)
def test_every_label_and_distribution_on_update(world, start, tlp, distribution):
    case = make_case(world, *start)
    before = stored(case)

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {**sharing(world, tlp, distribution), "version": 1},
        format="json",
    )

    if distribution in ALLOWED[tlp]:
        assert response.status_code == 200, response.json()
        case.refresh_from_db()
        assert (case.tlp, case.distribution) == (tlp, distribution)
        assert case.version == 2
    else:
        assert response.status_code == 400
        assert set(response.json()) == {"distribution"}, response.json()
        assert stored(case) == before


@pytest.mark.parametrize("tlp", TLP.values)
@pytest.mark.parametrize(("start_tlp", "start"), ALLOWED_PAIRS, ids=map(_pair_id, ALLOWED_PAIRS))
def test_changing_only_the_label_keeps_under_the_ceiling(world, start_tlp, start, tlp):
    case = make_case(world, start_tlp, start)
    before = stored(case)

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"tlp": tlp, "version": 1}, format="json"
    )

    if start in ALLOWED[tlp]:
        assert response.status_code == 200, response.json()
        assert response.json()["tlp"] == tlp
    else:
        assert response.status_code == 400
        assert set(response.json()) == {"distribution"}, response.json()
        assert stored(case) == before


@pytest.mark.parametrize("distribution", ALL_DISTRIBUTIONS)
@pytest.mark.parametrize(("tlp", "start"), ALLOWED_PAIRS, ids=map(_pair_id, ALLOWED_PAIRS))
def test_changing_only_the_distribution_keeps_under_the_ceiling(world, tlp, start,
                                                               distribution):
    case = make_case(world, tlp, start)
    before = stored(case)
    body = {"distribution": distribution, "version": 1}
    if distribution == GROUP:
        body["sharing_group"] = world.fr_de_group.pk
    elif start == GROUP:
        body["sharing_group"] = None

    response = api_client(world.fr_caseworker).patch(f"/api/v1/cases/{case.pk}/", body,
                                                     format="json")

    if distribution in ALLOWED[tlp]:
        assert response.status_code == 200, response.json()
        assert response.json()["distribution"] == distribution
    else:
        assert response.status_code == 400
        assert set(response.json()) == {"distribution"}, response.json()
        assert stored(case) == before


DISALLOWED_PAIRS = [(tlp, d) for tlp, d in PAIRS if d not in ALLOWED[tlp]]


@pytest.mark.parametrize(("tlp", "distribution"), DISALLOWED_PAIRS,
                         ids=map(_pair_id, DISALLOWED_PAIRS))
def test_a_row_above_its_ceiling_is_not_shown_outside_the_owner(world, tlp, distribution):
    # Written around the services (an import, an old row): the label still holds.
    case = make_case(world, tlp, distribution)
    for user in (world.de_caseworker, world.de_admin, world.it_caseworker, world.it_auditor):
        assert not sees(user, case), user.username
    assert sees(world.fr_caseworker, case)


# --- the sharing group goes with `sharing_group` and only with it ---------------------------

GROUP_RULES = [
    pytest.param({"distribution": GROUP}, id="group-distribution-without-group"),
    pytest.param({"distribution": GROUP, "sharing_group": None}, id="group-distribution-null"),
    pytest.param({"distribution": ORG, "sharing_group": "fr_de"}, id="organisation-with-group"),
    pytest.param({"distribution": NET, "tlp": TLP.GREEN, "sharing_group": "fr_de"},
                 id="network-with-group"),
    pytest.param({"distribution": AGG, "sharing_group": "fr_de"}, id="aggregate-with-group"),
]


def _resolve(world, body: dict) -> dict:
    return {k: (world.fr_de_group.pk if v == "fr_de" else v) for k, v in body.items()}


@pytest.mark.parametrize("body", GROUP_RULES)
def test_a_sharing_group_is_required_iff_the_distribution_names_one_on_create(world, body):
    before = Case.objects.count()

    response = api_client(world.fr_caseworker).post(
        "/api/v1/cases/", new_case_body(world, **_resolve(world, body)), format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"sharing_group"}, response.json()
    assert Case.objects.count() == before


UPDATE_GROUP_RULES = [
    pytest.param((TLP.AMBER, ORG), {"distribution": GROUP}, id="to-group-without-group"),
    pytest.param((TLP.AMBER, ORG), {"distribution": GROUP, "sharing_group": None},
                 id="to-group-null"),
    pytest.param((TLP.AMBER, ORG), {"sharing_group": "fr_de"}, id="group-alone"),
    pytest.param((TLP.AMBER, GROUP), {"sharing_group": None}, id="drop-group-alone"),
    pytest.param((TLP.AMBER, GROUP), {"distribution": ORG}, id="to-organisation-keeping-group"),
    pytest.param((TLP.GREEN, GROUP), {"distribution": NET}, id="to-network-keeping-group"),
]


@pytest.mark.parametrize(("start", "body"), UPDATE_GROUP_RULES)
def test_a_sharing_group_is_required_iff_the_distribution_names_one_on_update(
    world, start, body
):
    case = make_case(world, *start)
    before = stored(case)

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {**_resolve(world, body), "version": 1}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()) == {"sharing_group"}, response.json()
    assert stored(case) == before


def test_leaving_a_group_with_the_group_dropped_is_accepted(world):
    case = make_case(world, TLP.AMBER, GROUP)
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/",
        {"distribution": ORG, "sharing_group": None, "version": 1}, format="json",
    )
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert (case.distribution, case.sharing_group) == (ORG, None)


@pytest.fixture
def dual(world):
    """A caseworker of both ngo_fr and ngo_it: sees both organisations' groups and people."""
    user = UserFactory(username="fr_it_caseworker")
    MembershipFactory(user=user, organisation=world.ngo_fr, role="caseworker")
    MembershipFactory(user=user, organisation=world.ngo_it, role="caseworker")
    return user


def test_a_group_the_owner_is_not_a_member_of_is_refused(world, dual):
    it_group = SharingGroupFactory(owner=world.ngo_it, name="IT only")
    body = new_case_body(world, organisation="ngo-fr", tlp=TLP.AMBER, distribution=GROUP,
                         sharing_group=it_group.pk)

    response = api_client(dual).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"sharing_group"}, response.json()
    assert not Case.objects.exists()


def test_a_group_the_owner_is_not_a_member_of_is_refused_on_update(world, dual):
    it_group = SharingGroupFactory(owner=world.ngo_it, name="IT only")
    case = make_case(world)
    before = stored(case)

    response = api_client(dual).patch(
        f"/api/v1/cases/{case.pk}/",
        {"distribution": GROUP, "sharing_group": it_group.pk, "version": 1}, format="json",
    )

    assert response.status_code == 400
    assert set(response.json()) == {"sharing_group"}, response.json()
    assert stored(case) == before


def test_a_group_unknown_to_the_caller_fails_like_a_missing_one(world):
    it_group = SharingGroupFactory(owner=world.ngo_it, name="IT only")
    client = api_client(world.fr_caseworker)

    hidden = client.post("/api/v1/cases/", new_case_body(
        world, distribution=GROUP, sharing_group=it_group.pk), format="json")
    missing = client.post("/api/v1/cases/", new_case_body(
        world, distribution=GROUP, sharing_group=987654), format="json")

    assert hidden.status_code == missing.status_code == 400
    assert hidden.content.decode().replace(str(it_group.pk), "<id>") == (
        missing.content.decode().replace("987654", "<id>")
    )


def test_a_group_of_another_owner_that_includes_ours_may_be_used(world):
    de_group = SharingGroupFactory(owner=world.ministry_de, name="DE led",
                                   members=[world.ngo_fr])

    response = api_client(world.fr_caseworker).post(
        "/api/v1/cases/", new_case_body(world, distribution=GROUP, sharing_group=de_group.pk),
        format="json",
    )

    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    assert sees(world.de_liaison, case)
    assert not sees(world.it_caseworker, case)


# --- TLP:RED ----------------------------------------------------------------------------------

OWNER_MEMBERS = ["fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin"]


@pytest.mark.parametrize("named", [[], ["fr_liaison"], ["fr_auditor", "fr_admin"]])
def test_a_red_case_is_seen_only_by_its_named_recipients_and_its_creator(world, named):
    client = api_client(world.fr_caseworker)
    response = client.post("/api/v1/cases/", new_case_body(
        world, tlp=TLP.RED, named_recipients=named), format="json")
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["id"])
    recipients = {"fr_caseworker", *named}
    assert set(response.json()["named_recipients"]) == recipients
    assert set(case.named_recipients.values_list("username", flat=True)) == recipients
    AssuranceFactory(case=case)
    ProceedingFactory(case=case)

    for username in [*OWNER_MEMBERS, "de_admin", "it_admin"]:
        user = getattr(world, username)
        expected = username in recipients
        assert sees(user, case) is expected, username
        other = api_client(user)
        for path in (f"/api/v1/cases/{case.pk}/timeline/",
                     f"/api/v1/assurances/?case={case.pk}",
                     f"/api/v1/proceedings/?case={case.pk}"):
            assert other.get(path).status_code == (200 if expected else
                                                   (400 if "?" in path else 404)), path
        listed = other.get("/api/v1/assurances/").json()["results"]
        assert any(a["case"] == str(case.pk) for a in listed) is expected
        found = other.get(f"/api/v1/cases/?q={case.reference}").json()["results"]
        assert bool(found) is expected
        if not expected:
            assert other.patch(f"/api/v1/cases/{case.pk}/", {"version": 1},
                               format="json").status_code == 404
            assert other.post(f"/api/v1/cases/{case.pk}/transition/",
                              {"to": "judicial_phase"}, format="json").status_code == 404


def test_labelling_a_case_red_leaves_it_with_the_editor_alone(world):
    case = make_case(world)
    assert sees(world.fr_admin, case)

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"tlp": TLP.RED, "version": 1}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["named_recipients"] == ["fr_caseworker"]
    assert sees(world.fr_caseworker, case)
    assert not sees(world.fr_admin, case)
    assert not sees(world.fr_liaison, case)


def test_emptying_the_recipients_of_a_red_case_keeps_the_editor(world):
    case = make_case(world, TLP.RED)
    case.named_recipients.set([world.fr_caseworker, world.fr_liaison])

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"named_recipients": [], "version": 1}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert not sees(world.fr_liaison, case)
    assert sees(world.fr_caseworker, case)


@pytest.mark.parametrize("outsider", ["de_liaison", "it_caseworker", "platform_staff"])
@pytest.mark.parametrize("method", ["post", "patch"])
def test_named_recipients_outside_the_owner_fail_like_unknown_people(world, outsider, method):
    client = api_client(world.fr_caseworker)
    case = make_case(world, TLP.RED)

    def send(username):
        if method == "post":
            return client.post("/api/v1/cases/", new_case_body(
                world, tlp=TLP.RED, named_recipients=[username]), format="json")
        return client.patch(f"/api/v1/cases/{case.pk}/",
                            {"named_recipients": [username], "version": 1}, format="json")

    before = Case.objects.count(), list(case.named_recipients.all())
    refused, unknown = send(outsider), send("nobody_at_all")

    assert refused.status_code == unknown.status_code == 400
    assert set(refused.json()) == {"named_recipients"}
    assert refused.content.decode().replace(outsider, "<user>") == unknown.content.decode(
    ).replace("nobody_at_all", "<user>")
    assert (Case.objects.count(), list(case.named_recipients.all())) == before


def test_a_colleague_from_the_callers_other_organisation_is_refused(world, dual):
    body = new_case_body(world, organisation="ngo-fr", tlp=TLP.RED,
                         named_recipients=["it_caseworker"])

    response = api_client(dual).post("/api/v1/cases/", body, format="json")

    assert response.status_code == 400
    assert set(response.json()) == {"named_recipients"}, response.json()
    assert not Case.objects.exists()


# --- widening and withdrawing -------------------------------------------------------------------

# (from, to, audit action, who of ngo-fr's partners sees it afterwards)
CHANGES = [
    ((TLP.AMBER, ORG), (TLP.AMBER, GROUP), AuditEvent.Action.SHARE, {"de"}),
    ((TLP.GREEN, ORG), (TLP.GREEN, NET), AuditEvent.Action.SHARE, {"de", "it"}),
    ((TLP.GREEN, GROUP), (TLP.GREEN, NET), AuditEvent.Action.SHARE, {"de", "it"}),
    ((TLP.AMBER, AGG), (TLP.AMBER, GROUP), AuditEvent.Action.SHARE, {"de"}),
    ((TLP.RED, ORG), (TLP.AMBER, ORG), AuditEvent.Action.SHARE, set()),
    ((TLP.GREEN, NET), (TLP.GREEN, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.GREEN, NET), (TLP.GREEN, GROUP), AuditEvent.Action.WITHDRAW, {"de"}),
    ((TLP.GREEN, NET), (TLP.GREEN, AGG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.GREEN, NET), (TLP.RED, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, GROUP), (TLP.AMBER, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, GROUP), (TLP.AMBER_STRICT, AGG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, ORG), (TLP.RED, ORG), AuditEvent.Action.WITHDRAW, set()),
]
REACH = {ORG: set(), AGG: set(), GROUP: {"de"}, NET: {"de", "it"}}


@pytest.mark.parametrize(("frm", "to", "action", "after"), CHANGES,
                         ids=[f"{_pair_id(f)}->{_pair_id(t)}" for f, t, _a, _s in CHANGES])
def test_sharing_changes_take_effect_at_once_and_are_audited(world, frm, to, action, after):
    case = make_case(world, *frm)
    partners = {"de": world.de_caseworker, "it": world.it_caseworker}
    for key, user in partners.items():
        assert sees(user, case) is (key in REACH[frm[1]])
    assert sees(world.fr_admin, case) is (frm[0] != TLP.RED)
    events_before = set(AuditEvent.objects.values_list("seq", flat=True))

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {**sharing(world, *to), "version": 1}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert sees(world.fr_admin, case) is (to[0] != TLP.RED)
    for key, user in partners.items():
        assert sees(user, case) is (key in after), key
        if key not in after:
            client = api_client(user)
            assert client.get(f"/api/v1/cases/{case.pk}/timeline/").status_code == 404
            assert client.get(f"/api/v1/subjects/{case.subject_id}/").status_code == 404
    new = AuditEvent.objects.exclude(seq__in=events_before).filter(object_id=str(case.pk))
    sharing_events = [e for e in new if e.action in (AuditEvent.Action.SHARE,
                                                     AuditEvent.Action.WITHDRAW)]
    assert [e.action for e in sharing_events] == [action]
    [event] = sharing_events
    assert event.organisation_id == world.ngo_fr.pk
    assert event.actor_id == world.fr_caseworker.pk
    assert event.detail["from"]["distribution"] == frm[1]
    assert event.detail["to"]["distribution"] == to[1]
    assert event.detail["to"]["tlp"] == to[0]


@pytest.mark.parametrize(("tlp", "distribution"), [(TLP.AMBER, GROUP), (TLP.GREEN, NET)],
                         ids=_pair_id)
def test_sharing_on_create_is_audited(world, tlp, distribution):
    response = api_client(world.fr_caseworker).post(
        "/api/v1/cases/", new_case_body(world, **sharing(world, tlp, distribution)),
        format="json",
    )
    assert response.status_code == 201
    actions = list(AuditEvent.objects.filter(object_id=response.json()["id"]).order_by("seq")
                   .values_list("action", flat=True))
    assert actions == [AuditEvent.Action.CREATE, AuditEvent.Action.SHARE]


def test_an_edit_that_leaves_the_sharing_alone_writes_no_sharing_event(world):
    case = make_case(world, TLP.AMBER, GROUP)
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/",
        {**sharing(world, TLP.AMBER, GROUP), "legal_basis_note": "x", "version": 1},
        format="json",
    )
    assert response.status_code == 200
    actions = set(AuditEvent.objects.filter(object_id=str(case.pk)).values_list("action",
                                                                              flat=True))
    assert actions == {AuditEvent.Action.UPDATE}


def test_removing_a_partner_from_the_group_withdraws_its_cases_at_once(world):
    case = make_case(world, TLP.AMBER, GROUP)
    assert sees(world.de_liaison, case)

    response = api_client(world.fr_admin).patch(
        f"/api/v1/sharing-groups/{world.fr_de_group.pk}/",
        {"members": [], "version": world.fr_de_group.version}, format="json",
    )

    assert response.status_code == 200, response.json()
    assert not sees(world.de_liaison, case)
    withdrawn = AuditEvent.objects.get(object_type="sharinggroup",
                                       object_id=str(world.fr_de_group.pk),
                                       action=AuditEvent.Action.WITHDRAW)
    assert withdrawn.detail == {"removed": ["ministry-de"]}


# --- what leaves the owner -------------------------------------------------------------------

PLANTED = {
    "full_name": "Plantedfullname Qx",
    "other_names": "Plantedothername Qx",
    "contacts": "Plantedcontact +33 6 12 34 56 78",
    "notes": "Plantedsubjectnote",
    "legal_basis_note": "Plantedlegalbasis",
    "interpol_reference": "PLANTEDIREF-99",
    "offence": "Plantedoffence",
    "proceeding_description": "Plantedprocdescription",
    "proceeding_outcome": "Plantedprocoutcome",
    "transition_note": "Plantedtransitionnote",
    "date_of_birth": "1961-07-19",
}


@pytest.fixture
def planted(world):
    def plant(distribution):
        subject = SubjectFactory(
            owner=world.ngo_fr, full_name=PLANTED["full_name"],
            other_names=PLANTED["other_names"], contacts=PLANTED["contacts"],
            notes=PLANTED["notes"], date_of_birth=datetime.date(1961, 7, 19),
        )
        case = make_case(
            world, TLP.GREEN, distribution, subject=subject,
            legal_basis_note=PLANTED["legal_basis_note"],
            interpol_reference=PLANTED["interpol_reference"],
        )
        Offence.objects.create(case=case, description=PLANTED["offence"], category="other")
        proceeding = ProceedingFactory(case=case, description=PLANTED["proceeding_description"],
                                       outcome=PLANTED["proceeding_outcome"],
                                       date=datetime.date(2026, 2, 1))
        assurance = AssuranceFactory(case=case)
        moved = api_client(world.fr_caseworker).post(
            f"/api/v1/cases/{case.pk}/transition/",
            {"to": "judicial_phase", "date": "2026-02-02", "note": PLANTED["transition_note"]},
            format="json",
        )
        assert moved.status_code == 200
        return case, subject, proceeding, assurance

    return plant


LEAK_PATHS = [
    "/api/v1/cases/",
    "/api/v1/cases/{case}/",
    "/api/v1/cases/{case}/timeline/",
    "/api/v1/cases/?subject={subject}",
    "/api/v1/cases/?q={subject_ref}",
    "/api/v1/subjects/",
    "/api/v1/subjects/{subject}/",
    "/api/v1/proceedings/",
    "/api/v1/proceedings/{proceeding}/",
    "/api/v1/proceedings/?case={case}",
    "/api/v1/assurances/",
    "/api/v1/assurances/{assurance}/",
]
# Searches by what only the owner knows: they find nothing for anyone else.
LEAK_SEARCHES = [
    "/api/v1/cases/?q={full_name}",
    "/api/v1/cases/?q=Plantedfull",
    "/api/v1/cases/?q={other_names}",
    "/api/v1/subjects/?q={full_name}",
    "/api/v1/subjects/?q=plantedfullname",
    "/api/v1/subjects/?q={other_names}",
]
PARTNERS = [
    pytest.param(GROUP, f"de_{role}", id=f"group-de_{role}")
    for role in ("caseworker", "liaison", "auditor", "admin")
] + [
    pytest.param(NET, f"{org}_{role}", id=f"network-{org}_{role}")
    for org in ("de", "it") for role in ("caseworker", "liaison", "auditor", "admin")
]


def _assert_nothing_planted(content: bytes, where: str) -> None:
    text = content.decode()
    for name, value in PLANTED.items():
        assert value not in text, f"{name} leaks through {where}"
        assert value.lower() not in text.lower(), f"{name} leaks through {where}"
    assert "Planted" not in text, where
    # The birth date in any rendering (a bare "1961" could be an id).
    for rendering in ("1961-07-19", "19/07/1961", "07/19/1961", "19.07.1961", "July 19, 1961"):
        assert rendering not in text, f"date of birth leaks through {where}"


@pytest.mark.parametrize(("distribution", "who"), PARTNERS)
def test_outside_the_owner_no_response_names_the_person(world, planted, distribution, who):
    case, subject, proceeding, assurance = planted(distribution)
    client = api_client(getattr(world, who))
    values = {"case": case.pk, "subject": subject.pk, "proceeding": proceeding.pk,
              "assurance": assurance.pk, "subject_ref": subject.reference,
              "full_name": PLANTED["full_name"], "other_names": PLANTED["other_names"]}

    for template in LEAK_PATHS:
        path = template.format(**values)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        # The record is there (so the check means something), without what names the person.
        assert str(case.pk) in response.content.decode() or (
            subject.reference in response.content.decode()
        ) or str(proceeding.pk) in response.content.decode(), path
        _assert_nothing_planted(response.content, path)

    for template in LEAK_SEARCHES:
        path = template.format(**values)
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json()["results"] == [], path


def test_the_owner_finds_the_person_by_name(world, planted):
    case, subject, _proceeding, _assurance = planted(NET)
    client = api_client(world.fr_caseworker)
    found = client.get(f"/api/v1/cases/?q={PLANTED['full_name']}").json()["results"]
    assert [c["id"] for c in found] == [str(case.pk)]
    shown = client.get(f"/api/v1/subjects/{subject.pk}/").json()
    assert shown["full_name"] == PLANTED["full_name"]
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["legal_basis_note"] == PLANTED["legal_basis_note"]
    assert detail["interpol_reference"] == PLANTED["interpol_reference"]
    timeline = json.dumps(client.get(f"/api/v1/cases/{case.pk}/timeline/").json())
    assert PLANTED["transition_note"] in timeline
    assert PLANTED["proceeding_description"] in timeline


HTML_PATHS = ["/api/v1/cases/{case}/", "/api/v1/cases/", "/api/v1/subjects/{subject}/",
              "/api/v1/proceedings/{proceeding}/", "/api/v1/cases/{case}/timeline/"]


@pytest.mark.parametrize("path", HTML_PATHS)
def test_outside_the_owner_the_browsable_api_names_no_one_either(world, planted, path):
    case, subject, proceeding, _assurance = planted(NET)
    client = APIClient()
    client.force_login(world.it_admin)

    response = client.get(path.format(case=case.pk, subject=subject.pk,
                                      proceeding=proceeding.pk), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    _assert_nothing_planted(response.content, path)


def test_the_owners_auditor_sees_the_pseudonym_not_the_person(world, planted):
    _case, subject, _proceeding, _assurance = planted(ORG)
    client = api_client(world.fr_auditor)
    for path in (f"/api/v1/subjects/{subject.pk}/", "/api/v1/subjects/"):
        response = client.get(path)
        assert response.status_code == 200
        assert subject.reference in response.content.decode()
        for name in ("full_name", "other_names", "contacts", "notes"):
            assert PLANTED[name] not in response.content.decode(), (path, name)
        assert "1961-07-19" not in response.content.decode()
    assert client.get(f"/api/v1/subjects/?q={PLANTED['full_name']}").json()["results"] == []
