"""Shared findings as their recipients have them through /api/v1/ (DESIGN.md §4): identifiers
and unshared free text never leave the owner, recipients comment, the inbox lists what was
newly shared, and a member leaving a sharing group stops seeing its records at once.

ngo_fr owns a monitored case shared with ministry_de through `fr_de_group`; ministry_de owns
`de_it_group` with ngo_it; ngo_fr owns `fr_it_group` with ngo_it. The clock is frozen at NOW.
"""

from __future__ import annotations

import datetime

import pytest

from cases import services as case_services
from cases.models import AuditEvent
from cases.models.sharing import TLP, Distribution
from monitoring.models import Finding

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    MembershipFactory,
    SharingGroupFactory,
    SubjectFactory,
)
from ..monitoring_helpers import DAY, HOUR, NOW, freeze
from .test_finding_sharing import (
    FULL_NAME,
    MINUTE,
    NARRATIVE,
    SECRETS,
    SUMMARY,
    case_of_fr,
    file_report,
    finding_url,
    get,
    reshare,
    sees,
    share,
    sharing_net,
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def net(world):
    return sharing_net(world)


# --- identifiers -----------------------------------------------------------------------------


def assert_clean(response, status=(200, 201)):
    assert response.status_code in status, response.content
    for secret in SECRETS:
        assert secret.encode() not in response.content, (secret, response.request["PATH_INFO"])


@pytest.mark.usefixtures("exact_counts")
def test_no_identifier_or_unshared_free_text_reaches_a_partner(net, clock):
    w = net.world
    finding, report = net.torture_finding, net.report["id"]
    # A case at the decision stage toward the same state, shared with the partner, for the
    # risk brief; and enough cases for the compliance record not to be a small cell.
    pending = CaseFactory(owner=w.ngo_fr, status="assurances_assessed",
                          distribution=Distribution.SHARING_GROUP, sharing_group=w.fr_de_group,
                          tlp=TLP.GREEN, subject=SubjectFactory(owner=w.ngo_fr,
                                                                 full_name=FULL_NAME))
    for _ in range(2):
        other = case_of_fr(w)
        file_report(w, other, [AssuranceFactory(case=other)])
    reshared = reshare(w.de_liaison, finding, "sharing_group", net.de_it_group)
    assert_clean(reshared)
    comment = api_client(w.de_caseworker).post(f"{finding_url(finding)}comments/",
                                               {"text": "Consistent with our visit."},
                                               format="json")
    assert_clean(comment)
    for user in (w.de_caseworker, w.de_liaison, w.de_auditor, w.de_admin):
        for url, params in (
            ("/api/v1/findings/", {}),
            (finding_url(finding), {}),
            ("/api/v1/reports/", {}),
            (f"/api/v1/reports/{report}/", {}),
            (f"{finding_url(finding)}comments/", {}),
            ("/api/v1/finding-shares/", {}),
            ("/api/v1/inbox/", {"since": (NOW - DAY).isoformat()}),
            (f"/api/v1/cases/{pending.pk}/risk-brief/", {}),
            ("/api/v1/compliance/", {"group_by": ["requesting_state", "assurance_type"]}),
            (f"/api/v1/cases/{net.case.pk}/compliance/", {}),
        ):
            response = get(user, url, **params)
            assert_clean(response)
    brief = get(w.de_caseworker, f"/api/v1/cases/{pending.pk}/risk-brief/").json()
    assert net.case.reference in {row["reference"] for row in brief["earlier_surrenders"]}
    (cell,) = get(w.de_caseworker, "/api/v1/compliance/").json()
    assert cell["cases"] == 3
    # The structure of the check travels; the owner's free text does not.
    detail = get(w.de_caseworker, f"/api/v1/reports/{report}/").json()
    assert detail["access"] == "granted" and "narrative" not in detail
    assert "evidence_summary" not in get(w.de_caseworker, finding_url(finding)).json()
    # An error a partner provokes names nothing either.
    response = share(w.de_liaison, finding, distribution="network")
    assert_clean(response, status=(403,))
    # The owner reads everything it wrote.
    assert SUMMARY in get(w.fr_caseworker, finding_url(finding)).json()["evidence_summary"]
    assert get(w.fr_caseworker, f"/api/v1/reports/{report}/").json()["narrative"] == NARRATIVE


def test_a_summary_marked_shareable_reaches_recipients(net):
    w = net.world
    finding = net.torture_finding
    assert "evidence_summary" not in get(w.de_caseworker, finding_url(finding)).json()
    response = share(w.fr_caseworker, finding, distribution="sharing_group",
                     sharing_group=w.fr_de_group, summary_shareable=True)
    assert response.status_code == 200
    assert response.json()["summary_shareable"] is True
    for user in (w.de_caseworker, w.de_auditor):
        assert get(user, finding_url(finding)).json()["evidence_summary"] == SUMMARY
    rows = {r["id"]: r for r in get(w.de_caseworker, "/api/v1/findings/").json()["results"]}
    assert rows[str(finding.pk)]["evidence_summary"] == SUMMARY
    assert "evidence_summary" not in rows[str(net.access_finding.pk)]


# --- comments --------------------------------------------------------------------------------


def test_recipients_comment_on_a_shared_finding_and_everyone_who_sees_it_reads_them(net):
    w = net.world
    url = f"{finding_url(net.torture_finding)}comments/"
    for user in (w.de_caseworker, w.de_liaison, w.de_admin, w.fr_caseworker):
        response = api_client(user).post(url, {"text": f"Note by {user.username}"},
                                         format="json")
        assert response.status_code == 201, response.content
        assert response.json()["author"] == user.username
    assert api_client(w.de_auditor).post(url, {"text": "x"}, format="json").status_code == 403
    assert api_client(w.fr_auditor).post(url, {"text": "x"}, format="json").status_code == 403
    for user in (w.it_caseworker, w.it_admin):
        assert api_client(user).post(url, {"text": "x"}, format="json").status_code == 404
        assert get(user, url).status_code == 404
    expected = {"de_caseworker": "ministry-de", "de_liaison": "ministry-de",
                "de_admin": "ministry-de", "fr_caseworker": "ngo-fr"}
    for user in (w.fr_caseworker, w.fr_auditor, w.de_auditor, w.de_caseworker):
        rows = get(user, url).json()
        assert {row["author"]: row["organisation"] for row in rows} == expected
        assert len(rows) == 4
    # A comment is not an edit: the finding is as the owner left it.
    assert Finding.objects.get(pk=net.torture_finding.pk).version == net.torture_finding.version


def test_a_comment_is_refused_on_a_finding_not_shared_with_the_commenter(net):
    w = net.world
    assert share(w.fr_caseworker, net.torture_finding,
                 distribution="organisation").status_code == 200
    url = f"{finding_url(net.torture_finding)}comments/"
    assert api_client(w.de_caseworker).post(url, {"text": "x"}, format="json").status_code == 404
    assert api_client(w.fr_caseworker).post(url, {"text": "x"}, format="json").status_code == 201


# --- the inbox -------------------------------------------------------------------------------


def test_the_inbox_lists_what_was_newly_shared_with_the_callers_organisations(world, clock):
    w = world
    de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    earlier = NOW
    case = case_of_fr(w, distribution=Distribution.NETWORK, shared_at=earlier)
    finding = Finding.objects.get(
        pk=file_report(w, case, [AssuranceFactory(case=case)])["findings"][0]["id"])
    assert share(w.fr_caseworker, finding, distribution="organisation").status_code == 200
    # Another case, shared later with fr_de_group by the case services.
    clock.move_to(NOW + HOUR)
    later = CaseFactory(owner=w.ngo_fr, tlp=TLP.AMBER)
    case_services.case_update(actor=w.fr_caseworker, case=later, version=later.version,
                              distribution=Distribution.SHARING_GROUP,
                              sharing_group=w.fr_de_group)
    clock.move_to(NOW + 2 * HOUR)
    assert share(w.fr_caseworker, finding, distribution="sharing_group",
                 sharing_group=w.fr_de_group).status_code == 200
    clock.move_to(NOW + 3 * HOUR)
    assert reshare(w.de_liaison, finding, "sharing_group", de_it_group).status_code == 201

    def inbox(user, since):
        response = get(user, "/api/v1/inbox/", since=since.isoformat())
        assert response.status_code == 200, response.content
        return [(r["kind"], r["id"], r["shared_by"], r["tlp"], r["shared_at"])
                for r in response.json()]

    iso = lambda moment: moment.isoformat().replace("+00:00", "Z")  # noqa: E731
    assert inbox(w.de_caseworker, earlier - HOUR) == [
        ("finding", str(finding.pk), "ngo-fr", "green", iso(NOW + 2 * HOUR)),
        ("case", str(later.pk), "ngo-fr", "amber", iso(NOW + HOUR)),
        ("case", str(case.pk), "ngo-fr", "green", iso(earlier)),
    ]
    assert [r[:2] for r in inbox(w.de_caseworker, NOW + 90 * MINUTE)] == [
        ("finding", str(finding.pk))]
    assert inbox(w.de_caseworker, NOW + 4 * HOUR) == []
    # ngo_it: the network-wide case, and the finding ministry_de passed on to it.
    assert inbox(w.it_auditor, earlier - HOUR) == [
        ("reshared_finding", str(finding.pk), "ministry-de", "green", iso(NOW + 3 * HOUR)),
        ("case", str(case.pk), "ngo-fr", "green", iso(earlier)),
    ]
    # Nothing the caller's own organisation owns, or passed on itself.
    assert inbox(w.fr_caseworker, earlier - HOUR) == []
    assert [r[0] for r in inbox(w.de_liaison, earlier - HOUR)] == ["finding", "case", "case"]


def test_the_inbox_names_only_what_reached_the_caller(world, clock):
    """A finding passed on to a group the caller is not in is not news to the caller."""
    w = world
    nl = MembershipFactory(organisation__slug="ngo-nl", role="caseworker")
    w.fr_de_group.memberships.create(organisation=nl.organisation)
    de_it_group = SharingGroupFactory(name="DE-IT", owner=w.ministry_de, members=[w.ngo_it])
    case = case_of_fr(w, distribution=Distribution.NETWORK)
    finding = Finding.objects.get(
        pk=file_report(w, case, [AssuranceFactory(case=case)])["findings"][0]["id"])
    assert share(w.fr_caseworker, finding, distribution="sharing_group",
                 sharing_group=w.fr_de_group).status_code == 200
    clock.move_to(NOW + HOUR)
    assert reshare(w.de_liaison, finding, "sharing_group", de_it_group).status_code == 201
    response = get(nl.user, "/api/v1/inbox/", since=(NOW + 30 * MINUTE).isoformat())
    assert response.json() == []


@pytest.mark.parametrize("since", ["yesterday", "2026-13-45T00:00:00", "2026-02-30T10:00:00Z",
                                   "2026-03-01T25:61:00", "\x00"])
def test_the_inbox_refuses_a_bad_since(world, since):
    response = get(world.de_caseworker, "/api/v1/inbox/", since=since)
    assert response.status_code == 400, response.content
    assert "since" in response.json()


def test_the_inbox_takes_a_date_and_a_time_zone(world):
    assert get(world.de_caseworker, "/api/v1/inbox/", since="2026-03-01").status_code == 200
    since = datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))
    assert get(world.de_caseworker, "/api/v1/inbox/", since=since.isoformat()).status_code == 200


# --- leaving a sharing group -----------------------------------------------------------------


def test_a_member_leaves_a_group_and_stops_seeing_its_records_at_once(net):
    w = net.world
    url = f"/api/v1/sharing-groups/{w.fr_de_group.pk}/leave/"
    assert sees(w.de_caseworker, net.torture_finding)
    assert get(w.de_caseworker, f"/api/v1/cases/{net.case.pk}/").status_code == 200
    response = api_client(w.de_admin).post(url, {}, format="json")
    assert response.status_code == 204, response.content
    for user in (w.de_caseworker, w.de_liaison, w.de_admin):
        assert get(user, f"/api/v1/cases/{net.case.pk}/").status_code == 404
        assert not sees(user, net.torture_finding)
        assert get(user, f"/api/v1/reports/{net.report['id']}/").status_code == 404
        assert get(user, f"/api/v1/sharing-groups/{w.fr_de_group.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="withdraw", object_type="sharinggroup",
                                     organisation=w.ministry_de).exists()


def test_who_may_not_leave_a_group(net):
    w = net.world
    url = f"/api/v1/sharing-groups/{w.fr_de_group.pk}/leave/"
    response = api_client(w.fr_admin).post(url, {}, format="json")
    assert response.status_code == 400 and "organisation" in response.json()
    for user in (w.de_caseworker, w.de_liaison, w.de_auditor):
        assert api_client(user).post(url, {}, format="json").status_code == 403
    assert api_client(w.it_admin).post(url, {}, format="json").status_code == 404
    # ministry_de shares a case of its own through the group: it stays until it stops.
    CaseFactory(owner=w.ministry_de, distribution=Distribution.SHARING_GROUP,
                sharing_group=w.fr_de_group, tlp=TLP.AMBER)
    response = api_client(w.de_admin).post(url, {}, format="json")
    assert response.status_code == 400 and "organisation" in response.json()
    assert w.fr_de_group.memberships.filter(organisation=w.ministry_de).exists()
    assert sees(w.de_caseworker, net.torture_finding)
