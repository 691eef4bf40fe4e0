"""Sharing findings across organisations through /api/v1/ (issue 4, DESIGN.md §4): the owner's
share and withdrawal under the label's ceiling, and recipients passing findings on (what
recipients see, comment and receive is in test_finding_recipients.py).

ngo_fr owns a monitored case shared with ministry_de through `fr_de_group`; ministry_de owns
`de_it_group` with ngo_it; ngo_fr owns `fr_it_group` with ngo_it. The clock is frozen at NOW.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest

from cases import policy
from cases.models import Assurance, AuditEvent
from cases.models.sharing import TLP, TLP_CEILING, Distribution
from monitoring.models import Finding, FindingComment, FindingShare

from ..conftest import api_client, session_client
from ..factories import (
    AssuranceFactory,
    MembershipFactory,
    SharingGroupFactory,
    SubjectFactory,
    UserFactory,
    country,
)
from ..monitoring_helpers import DAY, HOUR, NOW, TODAY, first_visit, freeze, monitored_case

MINUTE = datetime.timedelta(minutes=1)

# Strings only the owner may ever read: planted, then looked for in every byte a partner gets.
FULL_NAME = "Zhou Planted-Fullname"
CONTACTS = "Planted contact: +33 6 12 34 56 78"
SOURCES = "Planted source: informant in the prosecutor's office"
NARRATIVE = "Planted narrative: met the sister at the gate"
ALLEGATIONS = "Planted allegation: beaten on the third night"
VISITORS = "Planted visitor: Consul Dupont-Secret"
FACILITY = "Planted facility: Detention centre no. 7"
SUMMARY = "Planted summary of evidence from a named witness"
SECRETS = (FULL_NAME, CONTACTS, SOURCES, NARRATIVE, ALLEGATIONS, VISITORS, FACILITY, SUMMARY)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def case_of_fr(world, *, tlp=TLP.GREEN, distribution=Distribution.SHARING_GROUP, **fields):
    return monitored_case(
        world, surrender=TODAY - 5 * DAY, distribution=distribution,
        sharing_group=world.fr_de_group if distribution == Distribution.SHARING_GROUP else None,
        tlp=tlp,
        subject=SubjectFactory(owner=world.ngo_fr, full_name=FULL_NAME, contacts=CONTACTS),
        legal_basis_note=SOURCES, **fields,
    )


def file_report(world, case, assurances, *, follow_up=None, checked_at=None, access="granted"):
    """A check report with one finding per assurance, filed through the API by the owner."""
    follow_up = follow_up or first_visit(case)
    body = {
        "checked_at": (checked_at or NOW - 2 * HOUR).isoformat(),
        "access": access,
        "privacy": "private",
        "visitors": VISITORS,
        "facility": FACILITY,
        "narrative": NARRATIVE,
        "allegations": ALLEGATIONS,
        "findings": [
            {"assurance": str(a.pk), "outcome": "complied", "severity": "low",
             "evidence_summary": SUMMARY}
            for a in assurances
        ],
    }
    if access == "refused":
        body["refusal_reason"] = "None given"
    response = api_client(world.fr_caseworker).post(
        f"/api/v1/follow-ups/{follow_up.pk}/report/", body, format="json"
    )
    assert response.status_code == 201, response.content
    return response.json()


def sharing_net(world):
    """A GREEN case of ngo_fr shared with fr_de_group, with a report of two findings."""
    w = world
    n = SimpleNamespace(world=w)
    n.de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    n.fr_it_group = SharingGroupFactory(name="FR-IT", owner=w.ngo_fr, members=[w.ngo_it])
    n.case = case_of_fr(w)
    n.access = AssuranceFactory(case=n.case, type=Assurance.Type.MONITORING_ACCESS)
    n.torture = AssuranceFactory(case=n.case, type=Assurance.Type.NO_TORTURE)
    n.report = file_report(w, n.case, [n.access, n.torture])
    n.torture_finding = Finding.objects.get(case=n.case, assurance=n.torture)
    n.access_finding = Finding.objects.get(case=n.case, assurance=n.access)
    return n


@pytest.fixture
def net(world):
    return sharing_net(world)


def get(user, url, **params):
    return api_client(user).get(url, params)


def finding_url(finding) -> str:
    return f"/api/v1/findings/{finding.pk}/"


def share(user, finding, **body):
    body.setdefault("version", Finding.objects.get(pk=finding.pk).version)
    if hasattr(body.get("sharing_group"), "pk"):
        body["sharing_group"] = body["sharing_group"].pk
    return api_client(user).post(f"{finding_url(finding)}share/", body, format="json")


def reshare(user, finding, distribution, group=None, **extra):
    body = {"finding": str(finding.pk), "distribution": distribution, **extra}
    if group is not None:
        body["sharing_group"] = group.pk
    return api_client(user).post("/api/v1/finding-shares/", body, format="json")


def listed_findings(user) -> set[str]:
    response = get(user, "/api/v1/findings/")
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def sees(user, finding) -> bool:
    """Whether `user` sees the finding, checked by its detail and by the list agreeing."""
    status = get(user, finding_url(finding)).status_code
    assert status in (200, 404)
    assert (status == 200) == (str(finding.pk) in listed_findings(user))
    return status == 200


# --- a new finding ---------------------------------------------------------------------------


def test_a_new_finding_takes_its_cases_distribution_group_and_label(net):
    w = net.world
    for row in net.report["findings"]:
        assert row["distribution"] == "sharing_group"
        assert row["sharing_group"] == w.fr_de_group.pk
        assert row["tlp"] == "green"
        assert row["shared_at"] is not None

    own = monitored_case(w, surrender=TODAY - 5 * DAY, tlp=TLP.AMBER_STRICT)
    assurance = AssuranceFactory(case=own, type=Assurance.Type.NO_TORTURE)
    report = file_report(w, own, [assurance])
    (row,) = report["findings"]
    assert (row["distribution"], row["sharing_group"], row["tlp"], row["shared_at"]) == (
        "organisation", None, "amber_strict", None)


# --- the owner shares, narrows and withdraws -------------------------------------------------


def test_every_label_and_distribution_pair_is_held_to_the_labels_ceiling(world):
    # A network-wide CLEAR case puts no bound of its own on its finding.
    case = case_of_fr(world, tlp=TLP.CLEAR, distribution=Distribution.NETWORK)
    finding = Finding.objects.get(
        pk=file_report(world, case, [AssuranceFactory(case=case)])["findings"][0]["id"])
    outcomes = {}
    for tlp in TLP.values:
        for distribution in Distribution.values:
            group = world.fr_de_group if distribution == Distribution.SHARING_GROUP else None
            response = share(world.fr_caseworker, finding, distribution=distribution, tlp=tlp,
                             sharing_group=group)
            outcomes[tlp, distribution] = response.status_code
            if response.status_code == 400:
                assert "distribution" in response.json(), response.content
                assert "sharing_group" not in response.json()
            else:
                assert response.json()["distribution"] == distribution
                assert response.json()["tlp"] == tlp
    expected = {
        (tlp, distribution): 200 if distribution in TLP_CEILING[tlp] else 400
        for tlp in TLP.values for distribution in Distribution.values
    }
    assert outcomes == expected
    # The ceilings of DESIGN.md §4, spelled out.
    assert {d for (t, d), s in outcomes.items() if t == TLP.RED and s == 200} == {"organisation"}
    assert {d for (t, d), s in outcomes.items() if t == TLP.AMBER_STRICT and s == 200} == {
        "organisation", "aggregate_only"}
    assert (TLP.AMBER, "network") in {k for k, s in outcomes.items() if s == 400}


def test_a_finding_is_never_wider_than_its_case_except_aggregate_only(net):
    w = net.world
    own_case = case_of_fr(w, distribution=Distribution.ORGANISATION)
    own = Finding.objects.get(
        pk=file_report(w, own_case, [AssuranceFactory(case=own_case)])["findings"][0]["id"])
    for distribution, group in (("sharing_group", w.fr_de_group), ("network", None)):
        response = share(w.fr_caseworker, own, distribution=distribution, sharing_group=group)
        assert response.status_code == 400
        assert "distribution" in response.json()
    response = share(w.fr_caseworker, own, distribution="aggregate_only")
    assert response.status_code == 200, response.content

    # The case is shared with fr_de_group: not the network, nor another group.
    response = share(w.fr_caseworker, net.torture_finding, distribution="network")
    assert response.status_code == 400 and "distribution" in response.json()
    response = share(w.fr_caseworker, net.torture_finding, distribution="sharing_group",
                     sharing_group=net.fr_it_group)
    assert response.status_code == 400 and "sharing_group" in response.json()
    response = share(w.fr_caseworker, net.torture_finding, distribution="sharing_group",
                     sharing_group=w.fr_de_group, tlp="amber")
    assert response.status_code == 200, response.content
    assert Finding.objects.get(pk=net.torture_finding.pk).sharing_group_id == w.fr_de_group.pk


def test_sharing_and_withdrawing_are_audited_and_widening_stamps_shared_at(net, clock):
    w = net.world
    finding = net.torture_finding

    def events(action):
        return list(AuditEvent.objects.filter(object_type="finding", object_id=str(finding.pk),
                                              action=action).order_by("seq"))

    clock.move_to(NOW + HOUR)
    response = share(w.fr_caseworker, finding, distribution="organisation")
    assert response.status_code == 200
    (withdrawn,) = events("withdraw")
    assert withdrawn.actor == w.fr_caseworker
    assert withdrawn.detail["from"]["distribution"] == "sharing_group"
    assert withdrawn.detail["to"]["distribution"] == "organisation"
    assert events("share") == []
    assert response.json()["shared_at"] == net.report["findings"][0]["shared_at"]

    clock.move_to(NOW + 2 * HOUR)
    response = share(w.fr_caseworker, finding, distribution="sharing_group",
                     sharing_group=w.fr_de_group)
    assert response.status_code == 200
    (shared,) = events("share")
    assert shared.detail["to"] == {"distribution": "sharing_group",
                                   "sharing_group": w.fr_de_group.pk, "tlp": "green"}
    assert Finding.objects.get(pk=finding.pk).shared_at == NOW + 2 * HOUR

    # A stricter label is a withdrawal, and leaves shared_at alone.
    clock.move_to(NOW + 3 * HOUR)
    response = share(w.fr_caseworker, finding, distribution="sharing_group",
                     sharing_group=w.fr_de_group, tlp="amber")
    assert response.status_code == 200
    assert len(events("withdraw")) == 2
    assert Finding.objects.get(pk=finding.pk).shared_at == NOW + 2 * HOUR


def test_only_the_owner_shares_or_edits_a_finding(net):
    w = net.world
    finding = net.torture_finding
    for user in (w.de_liaison, w.de_admin, w.de_caseworker, w.fr_liaison, w.fr_auditor):
        assert share(user, finding, distribution="organisation").status_code == 403, user
    assert share(w.it_admin, finding, distribution="organisation").status_code == 404
    version = Finding.objects.get(pk=finding.pk).version
    for user, status in ((w.de_caseworker, 403), (w.de_admin, 403), (w.it_caseworker, 404)):
        response = api_client(user).patch(finding_url(finding),
                                          {"severity": "high", "version": version},
                                          format="json")
        assert response.status_code == status, (user, response.content)
    assert Finding.objects.get(pk=finding.pk).severity == "low"
    response = api_client(w.fr_caseworker).patch(finding_url(finding),
                                                 {"severity": "high", "version": version},
                                                 format="json")
    assert response.status_code == 200, response.content


# --- a withdrawn finding disappears at once --------------------------------------------------


def test_a_withdrawn_finding_disappears_for_the_partner_on_its_next_request(net):
    w = net.world
    gone, kept = net.torture_finding, net.access_finding
    comments = f"{finding_url(gone)}comments/"
    assert api_client(w.de_caseworker).post(comments, {"text": "Seen"},
                                            format="json").status_code == 201
    report_url = f"/api/v1/reports/{net.report['id']}/"

    def in_report(user):
        response = get(user, report_url)
        assert response.status_code == 200
        return {row["id"] for row in response.json()["findings"]}

    def in_reports_list(user):
        rows = get(user, "/api/v1/reports/").json()["results"]
        return {f["id"] for row in rows for f in row["findings"]}

    def in_inbox(user):
        response = get(user, "/api/v1/inbox/", since=(NOW - DAY).isoformat())
        return {row["id"] for row in response.json() if row["kind"] != "case"}

    assert sees(w.de_caseworker, gone)
    assert str(gone.pk) in in_report(w.de_caseworker) & in_reports_list(w.de_caseworker)
    assert str(gone.pk) in in_inbox(w.de_caseworker)
    assert get(w.de_caseworker, comments).status_code == 200

    assert share(w.fr_caseworker, gone, distribution="organisation").status_code == 200

    assert not sees(w.de_caseworker, gone)
    assert sees(w.de_caseworker, kept)
    assert in_report(w.de_caseworker) == {str(kept.pk)}
    assert str(gone.pk) not in in_reports_list(w.de_caseworker)
    assert in_inbox(w.de_caseworker) == {str(kept.pk)}
    assert get(w.de_caseworker, comments).status_code == 404
    assert api_client(w.de_caseworker).post(comments, {"text": "Still there?"},
                                            format="json").status_code == 404
    # The owner still has everything.
    assert in_report(w.fr_caseworker) == {str(gone.pk), str(kept.pk)}
    assert len(get(w.fr_caseworker, comments).json()) == 1

    # With no finding left for the partner, the report itself is gone.
    assert share(w.fr_caseworker, kept, distribution="aggregate_only").status_code == 200
    assert get(w.de_caseworker, report_url).status_code == 404
    assert get(w.de_caseworker, "/api/v1/reports/").json()["results"] == []


# --- recipients pass findings on -------------------------------------------------------------


@pytest.mark.parametrize("label", [TLP.GREEN, TLP.CLEAR])
@pytest.mark.parametrize("role", ["liaison", "admin"])
def test_a_partner_passes_a_green_or_clear_finding_to_its_own_group_or_network(world, label,
                                                                                role):
    w = world
    de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    # The case is network-wide, so ngo_it sees the case; its findings go to fr_de_group only.
    case = case_of_fr(w, tlp=label, distribution=Distribution.NETWORK)
    finding = Finding.objects.get(
        pk=file_report(w, case, [AssuranceFactory(case=case)])["findings"][0]["id"])
    assert share(w.fr_caseworker, finding, distribution="sharing_group",
                 sharing_group=w.fr_de_group).status_code == 200
    assert not sees(w.it_caseworker, finding)

    response = reshare(getattr(w, f"de_{role}"), finding, "sharing_group", de_it_group)
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == "ministry-de"
    assert sees(w.it_caseworker, finding) and sees(w.it_auditor, finding)
    events = AuditEvent.objects.filter(action="share", object_id=str(finding.pk),
                                       organisation=w.ministry_de)
    assert events.count() == 1

    # To the network: a fourth organisation in no group sees it too (it sees the case).
    nl = MembershipFactory(organisation__slug="ngo-nl", organisation__country=country("NL"),
                           role="caseworker").user
    assert not sees(nl, finding)
    response = reshare(getattr(w, f"de_{role}"), finding, "network")
    assert response.status_code == 201, response.content
    assert sees(nl, finding)


def test_labels_stricter_than_green_are_not_passed_on(net):
    w = net.world
    amber = net.torture_finding
    assert share(w.fr_caseworker, amber, distribution="sharing_group",
                 sharing_group=w.fr_de_group, tlp="amber").status_code == 200
    assert sees(w.de_liaison, amber)
    for distribution, group in (("sharing_group", net.de_it_group), ("network", None)):
        response = reshare(w.de_liaison, amber, distribution, group)
        assert response.status_code == 403, response.content
        assert "TLP:AMBER" in response.json()["detail"]

    # AMBER+STRICT and RED never reach a partner: to a partner alone they are no finding at
    # all, while someone who also works for the owner is refused by the label.
    both = UserFactory(username="fr_and_de")
    MembershipFactory(user=both, organisation=w.ngo_fr, role="caseworker")
    MembershipFactory(user=both, organisation=w.ministry_de, role="liaison")
    for label in (TLP.AMBER_STRICT, TLP.RED):
        finding = net.access_finding
        assert share(w.fr_caseworker, finding, distribution="organisation",
                     tlp=label).status_code == 200
        assert not sees(w.de_liaison, finding)
        response = reshare(w.de_liaison, finding, "sharing_group", net.de_it_group)
        assert response.status_code == 400 and "finding" in response.json()
        for distribution, group in (("sharing_group", net.de_it_group), ("network", None)):
            response = reshare(both, finding, distribution, group, organisation="ministry-de")
            assert response.status_code == 403, (label, response.content)
    assert not FindingShare.objects.exists()


def test_caseworkers_and_auditors_do_not_pass_findings_on(net):
    w = net.world
    for user in (w.de_caseworker, w.de_auditor):
        response = reshare(user, net.torture_finding, "sharing_group", net.de_it_group)
        assert response.status_code == 403, response.content
    assert not FindingShare.objects.exists()


def test_a_partner_passes_a_finding_only_to_a_group_it_belongs_to(net):
    w = net.world
    response = reshare(w.de_liaison, net.torture_finding, "sharing_group", net.fr_it_group)
    assert response.status_code == 400 and "sharing_group" in response.json()
    response = reshare(w.de_liaison, net.torture_finding, "sharing_group")
    assert response.status_code == 400 and "sharing_group" in response.json()
    response = reshare(w.de_liaison, net.torture_finding, "organisation")
    assert response.status_code == 400 and "distribution" in response.json()
    assert not FindingShare.objects.exists()


def test_the_owner_shares_by_distribution_not_by_passing_on(net):
    w = net.world
    for user in (w.fr_liaison, w.fr_admin):
        response = reshare(user, net.torture_finding, "sharing_group", net.fr_it_group)
        assert response.status_code == 400, response.content
        assert "organisation" in response.json()
    assert not FindingShare.objects.exists()


def test_passing_a_finding_on_never_opens_its_case(net):
    w = net.world
    finding = net.torture_finding
    assert reshare(w.de_liaison, finding, "sharing_group", net.de_it_group).status_code == 201
    assert reshare(w.de_admin, finding, "network").status_code == 201
    for user in (w.it_caseworker, w.it_admin):
        assert not sees(user, finding)
        assert get(user, f"/api/v1/cases/{net.case.pk}/").status_code == 404
        assert get(user, "/api/v1/finding-shares/").json()["results"] == []
        assert get(user, "/api/v1/inbox/", since=(NOW - DAY).isoformat()).json() == []


@pytest.fixture
def passed_on(world):
    """A finding of a network-wide GREEN case, shared with fr_de_group and passed on by
    ministry_de to its group with ngo_it (which sees the case)."""
    w = world
    n = SimpleNamespace(world=w)
    n.de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    n.case = case_of_fr(w, distribution=Distribution.NETWORK)
    n.finding = Finding.objects.get(
        pk=file_report(w, n.case, [AssuranceFactory(case=n.case)])["findings"][0]["id"])
    assert share(w.fr_caseworker, n.finding, distribution="sharing_group",
                 sharing_group=w.fr_de_group).status_code == 200
    response = reshare(w.de_liaison, n.finding, "sharing_group", n.de_it_group)
    assert response.status_code == 201
    n.share = FindingShare.objects.get(pk=response.json()["id"])
    assert sees(w.it_caseworker, n.finding)
    return n


@pytest.mark.parametrize("withdrawer", ["de_liaison", "de_admin", "fr_caseworker", "fr_admin"])
def test_the_resharer_or_the_owner_withdraws_a_reshare(passed_on, withdrawer):
    w = passed_on.world
    url = f"/api/v1/finding-shares/{passed_on.share.pk}/"
    response = api_client(getattr(w, withdrawer)).delete(url)
    assert response.status_code == 204, response.content
    assert not sees(w.it_caseworker, passed_on.finding)
    assert sees(w.de_caseworker, passed_on.finding)
    assert FindingShare.objects.get(pk=passed_on.share.pk).withdrawn_at == NOW
    assert AuditEvent.objects.filter(action="withdraw", object_id=str(passed_on.finding.pk),
                                     detail__reshare=str(passed_on.share.pk)).exists()


def test_no_one_else_withdraws_a_reshare(passed_on):
    w = passed_on.world
    url = f"/api/v1/finding-shares/{passed_on.share.pk}/"
    for user in (w.de_caseworker, w.de_auditor, w.fr_liaison, w.fr_auditor, w.it_admin,
                 w.it_caseworker):
        assert api_client(user).delete(url).status_code == 403, user
    stranger = MembershipFactory(organisation__slug="ngo-nl", role="org_admin").user
    # An organisation the finding never reached does not see the share at all.
    assert api_client(stranger).delete(url).status_code == 404
    assert session_client(w.staff).delete(url).status_code == 404
    assert FindingShare.objects.get(pk=passed_on.share.pk).withdrawn_at is None
    assert sees(w.it_caseworker, passed_on.finding)


@pytest.mark.parametrize(
    "withdrawal",
    [
        {"distribution": "organisation"},
        {"distribution": "aggregate_only"},
        {"distribution": "sharing_group", "tlp": "amber"},
        {"distribution": "organisation", "tlp": "red"},
    ],
    ids=["organisation", "aggregate_only", "amber", "red"],
)
def test_when_the_owner_withdraws_a_finding_its_reshares_stop_counting(passed_on, withdrawal):
    w = passed_on.world
    body = dict(withdrawal)
    if body["distribution"] == "sharing_group":
        body["sharing_group"] = w.fr_de_group
    response = share(w.fr_caseworker, passed_on.finding, **body)
    assert response.status_code == 200, response.content
    assert not sees(w.it_caseworker, passed_on.finding)
    assert get(w.it_caseworker, "/api/v1/finding-shares/").json()["results"] == []


def test_a_finding_moved_away_from_the_resharer_takes_its_reshares_with_it(passed_on):
    w = passed_on.world
    fr_nl_group = SharingGroupFactory(name="FR-NL", owner=w.ngo_fr)
    response = share(w.fr_caseworker, passed_on.finding, distribution="sharing_group",
                     sharing_group=fr_nl_group)
    assert response.status_code == 200
    assert not sees(w.de_caseworker, passed_on.finding)
    # ministry_de no longer receives the finding: what it passed on no longer counts either.
    assert not sees(w.it_caseworker, passed_on.finding)


@pytest.mark.parametrize("change", [
    None,
    {"distribution": "organisation"},
    {"distribution": "sharing_group", "tlp": "amber"},
    {"distribution": "organisation", "tlp": "red"},
    "withdraw the re-share",
], ids=["as passed on", "kept to the owner", "amber", "red", "re-share withdrawn"])
def test_reshares_and_comments_are_seen_exactly_with_their_finding(passed_on, change):
    """Their rule checks each one's own finding and case rather than the list of every finding
    a user sees: it must keep to the findings' rule, for everyone, whatever the sharing."""
    w = passed_on.world
    for user, organisation in ((w.fr_caseworker, w.ngo_fr), (w.it_caseworker, w.ngo_it)):
        FindingComment.objects.create(finding=passed_on.finding, organisation=organisation,
                                      author=user, text="A comment")
    # A RED case: its findings are ngo_fr's, but only its named caseworker sees the case.
    red = case_of_fr(w, distribution=Distribution.ORGANISATION, tlp=TLP.RED,
                     named_recipients=[w.fr_caseworker])
    kept = Finding.objects.get(pk=file_report(w, red, [AssuranceFactory(case=red)])
                               ["findings"][0]["id"])
    FindingComment.objects.create(finding=kept, organisation=w.ngo_fr, author=w.fr_caseworker,
                                  text="Kept to the named")
    if change == "withdraw the re-share":
        assert api_client(w.de_liaison).delete(
            f"/api/v1/finding-shares/{passed_on.share.pk}/").status_code == 204
    elif change is not None:
        body = {**change}
        if body["distribution"] == "sharing_group":
            body["sharing_group"] = w.fr_de_group
        assert share(w.fr_caseworker, passed_on.finding, **body).status_code == 200
    stranger = MembershipFactory(organisation__slug="ngo-nl", role="caseworker").user
    users = [getattr(w, f"{org}_{role}") for org in ("fr", "de", "it")
             for role in ("caseworker", "liaison", "auditor", "admin")] + [stranger, w.staff]
    for user in users:
        findings = set(policy.restrict(Finding.objects.all(), user))
        for model in (FindingShare, FindingComment):
            seen = set(policy.restrict(model.objects.all(), user))
            assert seen == {c for c in model.objects.all() if c.finding in findings}, (
                user, model.__name__)
