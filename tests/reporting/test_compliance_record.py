"""The cross-state compliance record and the risk brief through /api/v1/ (issue 4, DESIGN.md §4).

Cases of three organisations toward China (CN) and Russia (RU) with known checks and outcomes;
the record counts what the caller may see plus what owners marked `aggregate_only`, and a cell
of fewer than three cases shows "<3" and nothing else.

   case  owner        shared                      surrender   checks (day after surrender)
   A     ngo_fr       organisation                2025-01-01  3 granted; 30 refused
   B     ngo_fr       organisation                2025-02-01  7 granted; lapse on day 45
   C     ministry_de  fr_de_group                 2025-03-01  10 refused; 20 granted; 320 granted
   D     ngo_it       organisation                2025-01-15  1 granted
   E     ngo_it       findings aggregate_only     2025-04-01  40 granted
   G     ngo_fr       TLP:RED, no one named       2025-01-01  2 granted
   K     ngo_fr       organisation, closed        2024-06-01  5 granted
   H     ngo_fr (RU)  organisation                2025-05-01  2 granted
   I     ministry_de (RU) fr_de_group             2025-05-01  4 granted
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases.models import Assurance, Case, LegalInstrument
from cases.models.sharing import TLP, Distribution
from monitoring.models import CheckReport, Finding, FollowUp
from reporting.record import compliance_record, compliance_records

from ..conftest import api_client, session_client, used_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    MembershipFactory,
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    country,
)

# What the record counts, before the perturbation that test_differencing.py tests.
pytestmark = pytest.mark.usefixtures("exact_counts")

UTC = datetime.UTC
DAY = datetime.timedelta(days=1)
S = Case.Status
MA, NT = Assurance.Type.MONITORING_ACCESS, Assurance.Type.NO_TORTURE
O = Finding.Outcome  # noqa: E741 (short, for the tables below)
ZERO_OUTCOMES = dict.fromkeys(O.values, 0)


def make_case(owner, *, state="CN", instrument=None, surrender, status=S.MONITORING_ACTIVE,
              distribution=Distribution.ORGANISATION, group=None, tlp=TLP.AMBER,
              types=(NT,)) -> Case:
    case = CaseFactory(owner=owner, requesting_state=country(state), legal_instrument=instrument,
                       surrender_date=surrender, status=status, distribution=distribution,
                       sharing_group=group, tlp=tlp)
    for kind in types:
        AssuranceFactory(case=case, type=kind)
    return case


def _follow_up(case, at, status=FollowUp.Status.COMPLETED) -> FollowUp:
    return FollowUp.objects.create(
        case=case, kind=FollowUp.Kind.AD_HOC, status=status, window_opens_at=at, due_at=at,
        due_soon_at=at, escalate_at=at, missed_at=at,
        completed_at=at if status == FollowUp.Status.COMPLETED else None,
    )


def _finding(case, kind, outcome, at, *, distribution=None, is_open=True, **extra) -> Finding:
    distribution = distribution or case.distribution
    return Finding.objects.create(
        case=case, assurance=case.assurances.filter(type=kind).first() if kind else None,
        outcome=outcome, severity=Finding.Severity.MEDIUM, observed_at=at,
        distribution=distribution, tlp=case.tlp, is_open=is_open,
        sharing_group=case.sharing_group if distribution == Distribution.SHARING_GROUP else None,
        evidence_summary="Owner's own words", **extra,
    )


def check(case, day, outcomes, *, author, access=CheckReport.Access.GRANTED,
          distribution=None, is_open=True) -> CheckReport:
    """A check `day` days after the surrender, with a finding per {assurance type: outcome}."""
    at = datetime.datetime.combine(case.surrender_date, datetime.time(12), tzinfo=UTC) + day * DAY
    follow_up = _follow_up(case, at)
    report = CheckReport.objects.create(
        follow_up=follow_up, case=case, checked_at=at, access=access, created_by=author,
        refusal_reason="None given" if access == CheckReport.Access.REFUSED else "",
    )
    for kind, outcome in outcomes.items():
        _finding(case, kind, outcome, at, distribution=distribution, is_open=is_open,
                 report=report, follow_up=follow_up)
    return report


def lapse(case, day) -> Finding:
    at = datetime.datetime.combine(case.surrender_date, datetime.time(12), tzinfo=UTC) + day * DAY
    follow_up = _follow_up(case, at, status=FollowUp.Status.MISSED)
    return _finding(case, MA, O.MONITORING_LAPSED, at, follow_up=follow_up)


def instrument(party: str) -> LegalInstrument:
    return LegalInstrument.objects.get(party_a=party, party_b="CN", kind="extradition_treaty")


@pytest.fixture
def record(world):
    w = world
    r = SimpleNamespace(world=w)
    fr, de, it = w.ngo_fr, w.ministry_de, w.ngo_it
    fr_cn, it_cn = instrument("FR"), instrument("IT")
    r.fr_cn, r.it_cn = fr_cn, it_cn
    refused = CheckReport.Access.REFUSED
    shared = {"distribution": Distribution.SHARING_GROUP, "group": w.fr_de_group}

    r.A = make_case(fr, instrument=fr_cn, surrender=datetime.date(2025, 1, 1), types=(MA, NT))
    check(r.A, 3, {MA: O.COMPLIED, NT: O.COMPLIED}, author=w.fr_caseworker)
    check(r.A, 30, {MA: O.ACCESS_DENIED}, access=refused, author=w.fr_caseworker)

    r.B = make_case(fr, instrument=fr_cn, surrender=datetime.date(2025, 2, 1), types=(MA, NT))
    check(r.B, 7, {MA: O.COMPLIED, NT: O.BREACH}, author=w.fr_caseworker)
    lapse(r.B, 45)

    r.C = make_case(de, surrender=datetime.date(2025, 3, 1), **shared)
    check(r.C, 10, {NT: O.UNVERIFIABLE}, access=refused, author=w.de_caseworker)
    check(r.C, 20, {NT: O.COMPLIED_WITH_CONCERNS}, author=w.de_caseworker)
    check(r.C, 320, {NT: O.COMPLIED}, author=w.de_caseworker)

    r.D = make_case(it, instrument=it_cn, surrender=datetime.date(2025, 1, 15))
    check(r.D, 1, {NT: O.COMPLIED}, author=w.it_caseworker)

    r.E = make_case(it, instrument=it_cn, surrender=datetime.date(2025, 4, 1))
    check(r.E, 40, {NT: O.PARTIAL}, distribution=Distribution.AGGREGATE_ONLY,
          author=w.it_caseworker)

    r.G = make_case(fr, instrument=fr_cn, surrender=datetime.date(2025, 1, 1), tlp=TLP.RED)
    check(r.G, 2, {NT: O.BREACH}, author=w.fr_caseworker)

    r.K = make_case(fr, instrument=fr_cn, surrender=datetime.date(2024, 6, 1),
                    status=S.MONITORING_CLOSED)
    check(r.K, 5, {NT: O.COMPLIED}, is_open=False, author=w.fr_caseworker)

    r.H = make_case(fr, state="RU", surrender=datetime.date(2025, 5, 1))
    check(r.H, 2, {NT: O.COMPLIED}, author=w.fr_caseworker)
    r.I = make_case(de, state="RU", surrender=datetime.date(2025, 5, 1), **shared)
    check(r.I, 4, {NT: O.COMPLIED}, author=w.de_caseworker)
    return r


def compliance(user, client=None, **params):
    response = (client or api_client(user)).get("/api/v1/compliance/", params)
    assert response.status_code == 200, response.content
    return response.json()


def by_key(cells, *keys) -> dict:
    out = {tuple(cell[k] for k in keys): cell for cell in cells}
    assert len(out) == len(cells), cells
    return out


def small(**group) -> dict:
    return {**group, "cases": "<3", "suppressed": True}


def cell(*, cases, checks, findings, outcomes, refused, unverifiable, median, p90, lapses,
         without_access=0, **group) -> dict:
    return {
        **group, "suppressed": False, "cases": cases, "checks": checks, "findings": findings,
        "outcomes": {**ZERO_OUTCOMES, **outcomes}, "access_refused_share": refused,
        "unverifiable_share": unverifiable, "days_to_first_access_median": median,
        "days_to_first_access_p90": p90, "cases_without_access": without_access,
        "lapses": lapses,
    }


# Everything ngo_fr's caseworker may count toward China: A, B, K (its own), C (shared with it)
# and E (aggregate only). Not D (ngo_it's own), nor G (TLP:RED, the caseworker is not named).
CN_FOR_FR = cell(
    requesting_state="CN", cases=5, checks=8, findings=11,
    outcomes={O.COMPLIED: 5, O.COMPLIED_WITH_CONCERNS: 1, O.PARTIAL: 1, O.UNVERIFIABLE: 1,
              O.MONITORING_LAPSED: 1, O.ACCESS_DENIED: 1, O.BREACH: 1},
    refused=0.25, unverifiable=0.091, median=7.0, p90=32.0, lapses=1,
)


def test_the_record_counts_what_the_caller_may_see_plus_aggregate_only_findings(record):
    w = record.world
    assert compliance(w.fr_caseworker) == [CN_FOR_FR, small(requesting_state="RU")]
    # Every role of the organisation reads the same record.
    assert compliance(w.fr_auditor) == compliance(w.fr_caseworker)


def test_a_named_recipient_counts_a_red_case_of_its_own(record):
    w = record.world
    record.G.named_recipients.add(w.fr_admin)
    (cn, _ru) = compliance(w.fr_admin)
    assert (cn["cases"], cn["findings"], cn["outcomes"]["breach"]) == (6, 12, 2)
    assert compliance(w.fr_caseworker)[0] == CN_FOR_FR


def test_the_partner_counts_what_was_shared_with_it(record):
    w = record.world
    # ministry_de sees its own C and I, and E counts in aggregates: two cases toward China.
    assert compliance(w.de_caseworker) == [small(requesting_state="CN"),
                                           small(requesting_state="RU")]


@pytest.mark.parametrize(
    "group_by, expected",
    [
        (["year"], {
            (2024,): small(year=2024),
            (2025,): cell(year=2025, cases=6, checks=8, findings=11,
                          outcomes={O.COMPLIED: 5, O.COMPLIED_WITH_CONCERNS: 1, O.PARTIAL: 1,
                                    O.UNVERIFIABLE: 1, O.MONITORING_LAPSED: 1,
                                    O.ACCESS_DENIED: 1, O.BREACH: 1},
                          refused=0.25, unverifiable=0.091, median=5.5, p90=30.0, lapses=1),
            (2026,): small(year=2026),
        }),
        (["requesting_state", "year"], {
            ("CN", 2024): small(requesting_state="CN", year=2024),
            ("CN", 2025): cell(requesting_state="CN", year=2025, cases=4, checks=6, findings=9,
                               outcomes={O.COMPLIED: 3, O.COMPLIED_WITH_CONCERNS: 1,
                                         O.PARTIAL: 1, O.UNVERIFIABLE: 1,
                                         O.MONITORING_LAPSED: 1, O.ACCESS_DENIED: 1,
                                         O.BREACH: 1},
                               refused=0.333, unverifiable=0.111, median=13.5, p90=34.0,
                               lapses=1),
            ("CN", 2026): small(requesting_state="CN", year=2026),
            ("RU", 2025): small(requesting_state="RU", year=2025),
        }),
        (["assurance_type"], {
            ("monitoring_access",): small(assurance_type="monitoring_access"),
            ("no_torture",): cell(assurance_type="no_torture", cases=7, checks=9, findings=9,
                                  outcomes={O.COMPLIED: 5, O.COMPLIED_WITH_CONCERNS: 1,
                                            O.PARTIAL: 1, O.UNVERIFIABLE: 1, O.BREACH: 1},
                                  refused=0.111, unverifiable=0.111, median=5.0, p90=28.0,
                                  lapses=0),
        }),
        (["requesting_state", "assurance_type"], {
            ("CN", "monitoring_access"): small(requesting_state="CN",
                                               assurance_type="monitoring_access"),
            ("CN", "no_torture"): cell(requesting_state="CN", assurance_type="no_torture",
                                       cases=5, checks=7, findings=7,
                                       outcomes={O.COMPLIED: 3, O.COMPLIED_WITH_CONCERNS: 1,
                                                 O.PARTIAL: 1, O.UNVERIFIABLE: 1,
                                                 O.BREACH: 1},
                                       refused=0.143, unverifiable=0.143, median=7.0, p90=32.0,
                                       lapses=0),
            ("RU", "no_torture"): small(requesting_state="RU", assurance_type="no_torture"),
        }),
        (["legal_instrument", "requesting_state"], "by_instrument"),
    ],
    ids=["year", "state+year", "assurance_type", "state+assurance_type", "instrument+state"],
)
def test_the_record_groups_by_any_combination(record, group_by, expected):
    w = record.world
    if expected == "by_instrument":
        fr_cn, it_cn = record.fr_cn.pk, record.it_cn.pk
        expected = {
            ("CN", fr_cn): cell(legal_instrument=fr_cn, requesting_state="CN", cases=3,
                                checks=4, findings=7,
                                outcomes={O.COMPLIED: 4, O.MONITORING_LAPSED: 1,
                                          O.ACCESS_DENIED: 1, O.BREACH: 1},
                                refused=0.25, unverifiable=0.0, median=5.0, p90=6.6, lapses=1),
            ("CN", None): small(legal_instrument=None, requesting_state="CN"),
            ("CN", it_cn): small(legal_instrument=it_cn, requesting_state="CN"),
            ("RU", None): small(legal_instrument=None, requesting_state="RU"),
        }
    keys = [k for k in ("requesting_state", "legal_instrument", "assurance_type", "year")
            if k in group_by]
    cells = compliance(w.fr_caseworker, group_by=group_by)
    assert by_key(cells, *keys) == expected
    # The order of group_by in the query does not matter.
    assert compliance(w.fr_caseworker, group_by=list(reversed(group_by))) == cells


def test_several_groupings_are_counted_in_one_read_and_each_as_on_its_own(record):
    w = record.world
    groupings = [("requesting_state",), ("assurance_type",), ("year",),
                 ("requesting_state", "assurance_type"), ("legal_instrument", "year"),
                 ("requesting_state",)]
    filters = {"assurance__type": "no_torture"}
    alone = []
    for group_by in groupings:
        with CaptureQueriesContext(connection) as one:
            alone.append(compliance_record(w.fr_caseworker, group_by=group_by, filters=filters))
    with CaptureQueriesContext(connection) as together:
        cells = compliance_records(w.fr_caseworker, groupings, filters=filters)
    assert cells == alone and all(alone)
    assert len(together) == len(one) == 1
    # Each grouping has a list of its own, even when asked for twice.
    assert cells[0] is not cells[-1]


def test_the_record_filters_by_state_instrument_assurance_type_and_period(record):
    w = record.world
    (cn,) = compliance(w.fr_caseworker, requesting_state="CN", assurance_type="no_torture")
    assert (cn["cases"], cn["findings"], cn["checks"], cn["access_refused_share"]) == (
        5, 7, 7, 0.143)
    (cn,) = compliance(w.fr_caseworker, legal_instrument=record.fr_cn.pk)
    assert (cn["requesting_state"], cn["cases"], cn["findings"], cn["lapses"]) == ("CN", 3, 7, 1)
    cells = compliance(w.fr_caseworker, observed_after="2025-01-01", observed_before="2025-12-31")
    assert [(c["requesting_state"], c["cases"]) for c in cells] == [("CN", 4), ("RU", "<3")]
    assert cells[0]["checks"] == 6 and cells[0]["findings"] == 9
    assert compliance(w.fr_caseworker, requesting_state="RU") == [small(requesting_state="RU")]
    assert compliance(w.fr_caseworker, requesting_state="EG") == []
    assert compliance(w.fr_caseworker, observed_after="2027-01-01") == []


@pytest.mark.parametrize(
    "params",
    [
        {"group_by": "colour"},
        {"group_by": "requesting_state,year"},
        {"requesting_state": "ZZ"},
        {"requesting_state": "China"},
        {"requesting_state": "C\x00"},
        {"legal_instrument": "abc"},
        {"legal_instrument": "0"},
        {"legal_instrument": "99999999999"},
        {"assurance_type": "bribery"},
        {"observed_after": "2025-13-01"},
        {"observed_before": "last year"},
        {"observed_after": "\x00"},
        {"organisation": "ngo-fr"},
        {"page": "2"},
    ],
)
def test_bad_query_values_are_refused(world, params):
    response = api_client(world.fr_caseworker).get("/api/v1/compliance/", params)
    assert response.status_code == 400, response.content
    assert set(response.json()) == set(params)


def test_only_signed_in_users_read_the_record(record):
    assert api_client().get("/api/v1/compliance/").status_code == 401
    loner = UserFactory(username="no_memberships")
    assert compliance(loner, client=session_client(loner)) == []
    assert compliance(record.world.staff, client=session_client(record.world.staff)) == []


# --- what an outsider learns -----------------------------------------------------------------


def test_an_outsider_counts_only_its_own_and_aggregate_only_cases(record):
    w = record.world
    # ngo_it owns D and E: two cases toward China. Nothing of ngo_fr's or ministry_de's.
    assert compliance(w.it_caseworker) == [small(requesting_state="CN")]
    assert compliance(w.it_caseworker, group_by=["requesting_state", "assurance_type",
                                                 "legal_instrument", "year"]) == [
        small(requesting_state="CN", legal_instrument=record.it_cn.pk,
              assurance_type="no_torture", year=2025)]
    assert compliance(w.it_caseworker, requesting_state="RU") == []
    assert compliance(w.it_caseworker, legal_instrument=record.fr_cn.pk) == []
    assert compliance(w.it_caseworker, assurance_type="monitoring_access") == []


def test_aggregate_only_cases_count_for_others_in_cells_of_three_or_more_only(world):
    w = world
    fr = w.ngo_fr
    surrender = datetime.date(2025, 6, 1)
    x1 = make_case(fr, state="EG", surrender=surrender, types=(MA, NT))
    x2 = make_case(fr, state="EG", surrender=surrender, types=(MA, NT))
    for case, day in ((x1, 3), (x2, 9)):
        check(case, day, {NT: O.BREACH}, distribution=Distribution.AGGREGATE_ONLY,
              author=w.fr_caseworker)
    assert compliance(w.it_caseworker) == [small(requesting_state="EG")]
    assert compliance(w.it_caseworker, group_by=["assurance_type"]) == [
        small(assurance_type="no_torture")]

    x3 = make_case(fr, state="EG", surrender=surrender, types=(MA, NT))
    check(x3, 6, {NT: O.COMPLIED}, distribution=Distribution.AGGREGATE_ONLY,
          author=w.fr_caseworker)
    # x3's other finding and a fourth case stay with ngo_fr: they never count for ngo_it.
    check(x3, 12, {MA: O.ACCESS_DENIED}, access=CheckReport.Access.REFUSED,
          author=w.fr_caseworker)
    x4 = make_case(fr, state="EG", surrender=surrender)
    check(x4, 2, {NT: O.BREACH}, author=w.fr_caseworker)
    # A network-wide case with a finding kept to its owner: the case is seen, not counted.
    x5 = make_case(fr, state="EG", surrender=surrender, distribution=Distribution.NETWORK,
                   tlp=TLP.GREEN)
    check(x5, 2, {NT: O.BREACH}, distribution=Distribution.ORGANISATION,
          author=w.fr_caseworker)

    assert compliance(w.it_caseworker) == [cell(
        requesting_state="EG", cases=3, checks=3, findings=3,
        outcomes={O.BREACH: 2, O.COMPLIED: 1}, refused=0.0, unverifiable=0.0,
        median=6.0, p90=8.4, lapses=0)]
    # group_by assurance_type + state: still three cases, one cell.
    (only,) = compliance(w.it_caseworker, group_by=["requesting_state", "assurance_type"])
    assert (only["assurance_type"], only["cases"]) == ("no_torture", 3)
    # The owner counts all five.
    (eg,) = compliance(w.fr_caseworker)
    assert (eg["cases"], eg["findings"], eg["outcomes"]["access_denied"]) == (5, 6, 1)
    # Split finer than three cases, the outsider's cells fall back to "<3".
    x1.assurances.filter(type=NT).update(type=Assurance.Type.FAIR_TRIAL)
    assert by_key(compliance(w.it_caseworker, group_by=["assurance_type"]),
                  "assurance_type") == {
        ("fair_trial",): small(assurance_type="fair_trial"),
        ("no_torture",): small(assurance_type="no_torture"),
    }


def test_the_record_takes_the_same_queries_for_2_organisations_as_for_20(world):
    w = world
    analyst = UserFactory(username="analyst")

    def add_organisation(index, org=None):
        org = org or OrganisationFactory(slug=f"org-{index}")
        MembershipFactory(user=analyst, organisation=org, role="auditor")
        group = SharingGroupFactory(owner=org, members=[w.ngo_it])
        spread = [
            {"distribution": Distribution.ORGANISATION},
            {"distribution": Distribution.SHARING_GROUP, "group": group},
            {"distribution": Distribution.NETWORK, "tlp": TLP.GREEN},
        ]
        for n, sharing in enumerate(spread):
            case = make_case(org, state=("CN", "RU", "EG")[(index + n) % 3],
                             surrender=datetime.date(2025, 1 + n, 1), types=(MA, NT), **sharing)
            check(case, 3 + index, {MA: O.COMPLIED, NT: O.BREACH}, author=w.it_caseworker)
            check(case, 30, {NT: O.UNVERIFIABLE}, distribution=Distribution.AGGREGATE_ONLY,
                  access=CheckReport.Access.REFUSED, author=w.it_caseworker)
            lapse(case, 60)

    add_organisation(0, w.ngo_fr)
    add_organisation(1, w.ministry_de)

    def queries(user, **params):
        client = api_client(user)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/api/v1/compliance/", params)
        assert response.status_code == 200, response.content
        return len(ctx), response.json()

    params = {"group_by": ["requesting_state", "assurance_type", "year"]}
    few, few_cells = queries(analyst, **params)
    outsider_few, _ = queries(w.it_caseworker, **params)
    for index in range(2, 20):
        add_organisation(index)
    many, many_cells = queries(analyst, **params)
    outsider_many, _ = queries(w.it_caseworker, **params)
    assert many_cells != few_cells
    assert sum(c["cases"] for c in many_cells if not c["suppressed"]) == 3 * 2 * 20
    assert (many, outsider_many) == (few, outsider_few)
    assert few <= 6, few


# --- the risk brief --------------------------------------------------------------------------


def brief(user, case):
    return api_client(user).get(f"/api/v1/cases/{case.pk}/risk-brief/")


def earlier(response) -> dict:
    assert response.status_code == 200, response.content
    rows = response.json()["earlier_surrenders"]
    return {row["reference"] or f"aggregate {i}": row for i, row in enumerate(
        sorted(rows, key=lambda r: (r["reference"] or "", r["reasons"])))}


@pytest.mark.parametrize("status", [S.ASSURANCES_REQUESTED, S.ASSURANCES_ASSESSED,
                                    S.EXECUTIVE_DECISION])
def test_a_risk_brief_is_given_for_a_case_awaiting_a_decision(record, status):
    w = record.world
    pending = make_case(w.ngo_fr, surrender=None, status=status)
    response = brief(w.fr_caseworker, pending)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["requesting_state"] == "CN"
    assert data["record"] == [CN_FOR_FR]
    assert by_key(data["record_by_assurance_type"], "assurance_type")[
        ("monitoring_access",)] == small(requesting_state="CN",
                                         assurance_type="monitoring_access")


@pytest.mark.parametrize("status", [S.REQUEST_RECEIVED, S.JUDICIAL_PHASE, S.REFUSED,
                                    S.SURRENDERED, S.MONITORING_ACTIVE])
def test_no_risk_brief_outside_the_decision(world, status):
    case = make_case(world.ngo_fr, surrender=None, status=status)
    response = brief(world.fr_caseworker, case)
    assert response.status_code == 400, response.content
    assert "status" in response.json()


def test_a_risk_brief_of_a_case_the_caller_may_not_see_is_not_found(record):
    w = record.world
    pending = make_case(w.ngo_fr, surrender=None, status=S.ASSURANCES_ASSESSED)
    for user in (w.it_caseworker, w.de_liaison):
        assert brief(user, pending).status_code == 404
    risk_brief = f"/api/v1/cases/{pending.pk}/risk-brief/"
    assert session_client(w.staff).get(risk_brief).status_code == 404
    red = make_case(w.ngo_fr, surrender=None, status=S.ASSURANCES_ASSESSED, tlp=TLP.RED)
    assert brief(w.fr_caseworker, red).status_code == 404
    assert brief(w.fr_caseworker, record.A).status_code == 400


def test_the_risk_brief_lists_earlier_surrenders_still_open_or_unverified(record):
    w = record.world
    fr = w.ngo_fr
    # Closed cases toward China: one never checked, one with a breach still open; one toward
    # Russia with a breach; one surrendered without monitoring yet.
    unchecked = make_case(fr, surrender=datetime.date(2024, 1, 1), status=S.MONITORING_CLOSED)
    breached = make_case(fr, surrender=datetime.date(2024, 2, 1), status=S.MONITORING_CLOSED)
    check(breached, 4, {NT: O.BREACH}, author=w.fr_caseworker)
    russia = make_case(fr, state="RU", surrender=datetime.date(2024, 2, 1))
    check(russia, 4, {NT: O.BREACH}, author=w.fr_caseworker)
    just_surrendered = make_case(fr, surrender=datetime.date(2026, 1, 5), status=S.SURRENDERED)
    pending = make_case(fr, surrender=None, status=S.EXECUTIVE_DECISION)

    response = brief(w.fr_caseworker, pending)
    rows = earlier(response)
    assert {ref: (row["reasons"], row["surrendered_in"], row["counted_in_aggregates_only"])
            for ref, row in rows.items()} == {
        record.A.reference: (["monitoring_open", "access_denied"], 2025, False),
        record.B.reference: (["monitoring_open", "breach"], 2025, False),
        record.C.reference: (["monitoring_open"], 2025, False),
        unchecked.reference: (["unverified"], 2024, False),
        breached.reference: (["breach"], 2024, False),
        just_surrendered.reference: (["monitoring_open", "unverified"], 2026, False),
        "aggregate 0": (["monitoring_open"], 2025, True),
    }
    assert rows[record.A.reference]["case"] == str(record.A.pk)
    assert rows["aggregate 0"]["case"] is None
    # K (closed, complied), D (ngo_it's own), G (TLP:RED) and Russia never appear.
    for hidden in (record.K, record.D, record.G, record.E, russia):
        assert str(hidden.pk).encode() not in response.content
    for hidden in (record.D, record.G, record.E, record.H, record.I, russia):
        assert hidden.reference.encode() not in response.content


def test_an_outsiders_risk_brief_holds_nothing_it_may_not_see(record):
    w = record.world
    pending = make_case(w.ngo_it, surrender=None, status=S.ASSURANCES_REQUESTED)
    response = brief(w.it_caseworker, pending)
    rows = earlier(response)
    assert {ref: row["reasons"] for ref, row in rows.items()} == {
        record.D.reference: ["monitoring_open"],
        record.E.reference: ["monitoring_open"],
    }
    assert response.json()["record"] == [small(requesting_state="CN")]
    for case in (record.A, record.B, record.C, record.G, record.K, record.H, record.I):
        assert case.reference.encode() not in response.content
        assert str(case.pk).encode() not in response.content
    # Once ngo_fr counts A's findings in aggregates, A appears, without anything naming it.
    Finding.objects.filter(case=record.A).update(distribution=Distribution.AGGREGATE_ONLY)
    response = brief(w.it_caseworker, pending)
    rows = earlier(response)
    assert rows["aggregate 0"]["reasons"] == ["monitoring_open", "access_denied"]
    assert rows["aggregate 0"]["case"] is None
    assert record.A.reference.encode() not in response.content
    assert str(record.A.pk).encode() not in response.content


def test_the_partners_risk_brief_names_what_was_shared_with_it(record):
    w = record.world
    pending = make_case(w.ministry_de, surrender=None, status=S.ASSURANCES_ASSESSED)
    rows = earlier(brief(w.de_caseworker, pending))
    assert set(rows) == {record.C.reference, "aggregate 0"}
    # A case of ngo_fr shared with the group, its findings kept to ngo_fr: seen, unverified.
    record.A.distribution, record.A.sharing_group = Distribution.SHARING_GROUP, w.fr_de_group
    record.A.save()
    rows = earlier(brief(w.de_caseworker, pending))
    assert rows[record.A.reference]["reasons"] == ["monitoring_open", "unverified"]


def test_the_risk_brief_takes_the_same_queries_whatever_the_data(record):
    w = record.world
    pending = make_case(w.ngo_fr, surrender=None, status=S.ASSURANCES_ASSESSED)
    client = used_client(w.fr_caseworker)
    url = f"/api/v1/cases/{pending.pk}/risk-brief/"
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(10):
        org = OrganisationFactory(slug=f"more-{n}")
        case = make_case(org, surrender=datetime.date(2025, 1, 1))
        check(case, 3, {NT: O.BREACH}, distribution=Distribution.AGGREGATE_ONLY,
              author=w.it_caseworker)
        shared = make_case(w.ngo_fr, surrender=datetime.date(2025, 1, 1))
        check(shared, 3, {NT: O.BREACH}, author=w.fr_caseworker)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(earlier(response)) == 4 + 20
    assert len(many) == len(few)
