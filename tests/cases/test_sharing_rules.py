"""Sharing (DESIGN.md §4): the TLP 2.0 label is a ceiling on the distribution, a sharing group
goes with its distribution, and TLP:RED stays with named people of the owner (what widening,
withdrawing and sharing itself do is in test_sharing_effects.py)."""

from __future__ import annotations

import pytest

from cases import policy
from cases.models import Case, Subject
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


def test_a_subject_is_seen_through_a_case_seen_or_by_its_owner_before_any_case(world):
    """The subjects' rule looks each subject's cases up by its id: it must keep to the cases'
    rule, for everyone, whatever the label, distribution and named people of each case."""
    w = world
    alone = SubjectFactory(owner=w.ngo_fr)
    shared = SubjectFactory(owner=w.ngo_fr)
    CaseFactory(owner=w.ngo_fr, subject=shared, distribution=GROUP, sharing_group=w.fr_de_group,
                tlp=TLP.GREEN)
    kept = SubjectFactory(owner=w.ngo_fr)
    CaseFactory(owner=w.ngo_fr, subject=kept, distribution=ORG, tlp=TLP.AMBER)
    red = SubjectFactory(owner=w.ngo_fr)
    CaseFactory(owner=w.ngo_fr, subject=red, tlp=TLP.RED).named_recipients.add(w.fr_caseworker)
    network = SubjectFactory(owner=w.ngo_it)
    CaseFactory(owner=w.ngo_it, subject=network, distribution=NET, tlp=TLP.CLEAR)
    # One RED case no one of ministry_de sees, one shared with it: the subject is seen.
    both = SubjectFactory(owner=w.ngo_fr)
    CaseFactory(owner=w.ngo_fr, subject=both, tlp=TLP.RED)
    CaseFactory(owner=w.ngo_fr, subject=both, distribution=GROUP, sharing_group=w.fr_de_group,
                tlp=TLP.AMBER)
    SubjectFactory(owner=w.ngo_it)  # ngo_it's, without a case
    stranger = MembershipFactory(organisation__slug="ngo-nl", role="caseworker").user
    users = [getattr(w, f"{org}_{role}") for org in ("fr", "de", "it")
             for role in ("caseworker", "liaison", "auditor", "admin")] + [
        stranger, w.staff, UserFactory(username="no-membership")]
    for user in users:
        cases = set(policy.restrict(Case.objects.all(), user))
        mine = set(policy.roles(user))
        expected = {s for s in Subject.objects.all()
                    if any(c in cases for c in s.cases.all())
                    or (s.owner_id in mine and not s.cases.exists())}
        assert set(policy.restrict(Subject.objects.all(), user)) == expected, user
    assert alone in set(policy.restrict(Subject.objects.all(), w.fr_liaison))
    assert both in set(policy.restrict(Subject.objects.all(), w.de_caseworker))
    assert red not in set(policy.restrict(Subject.objects.all(), w.fr_admin))
