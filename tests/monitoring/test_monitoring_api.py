"""Monitoring through /api/v1/ (issue 3): follow-ups, and check reports with their findings in
one all-or-nothing request (evidence files are in test_monitoring_api_evidence.py, a case's
compliance and notifications in test_monitoring_api_compliance.py).

ngo_fr owns the monitored case, shared with ministry_de through `fr_de_group`; ngo_it is the
outsider. The clock is frozen at NOW.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cases.models import Assurance, AuditEvent
from cases.models.sharing import TLP, Distribution
from monitoring import services
from monitoring.models import (
    CheckReport,
    Finding,
    FollowUp,
    MonitoringPlan,
)
from monitoring.sweep import sweep

from ..conftest import api_client
from ..factories import AssuranceFactory, MembershipFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    TODAY,
    ad_hoc,
    first_visit,
    freeze,
    monitored_case,
    open_regular_checks,
    snapshot,
    submit,
)

Status = FollowUp.Status


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def monitoring_records(world):
    """A case of ngo_fr shared with ministry_de, surrendered five days ago; another of ngo_fr's
    own cases; and a case of ngo_it."""
    case = monitored_case(
        world, surrender=TODAY - 5 * DAY, distribution=Distribution.SHARING_GROUP,
        sharing_group=world.fr_de_group, tlp=TLP.AMBER,
    )
    other = monitored_case(world, surrender=TODAY - 5 * DAY)
    italian = monitored_case(world, surrender=TODAY - 5 * DAY, owner=world.ngo_it,
                             actor=world.it_caseworker)
    return SimpleNamespace(
        world=world,
        case=case,
        access=AssuranceFactory(case=case, type=Assurance.Type.MONITORING_ACCESS),
        torture=AssuranceFactory(case=case, type=Assurance.Type.NO_TORTURE),
        visit=first_visit(case),
        other=other,
        other_assurance=AssuranceFactory(case=other, type=Assurance.Type.NO_TORTURE),
        italian=italian,
        italian_visit=first_visit(italian),
    )


@pytest.fixture
def rec(world):
    return monitoring_records(world)


def ids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {str(row["id"]) for row in response.json()["results"]}


def pk(*objects) -> set[str]:
    return {str(obj.pk) for obj in objects}


def report_body(**overrides) -> dict:
    body = {
        "checked_at": (NOW - 2 * HOUR).isoformat(),
        "access": "granted",
        "privacy": "private",
        "visitors": "Consul and interpreter",
        "narrative": "Seen in private for an hour; names of relatives given.",
        "allegations": "Describes sleep deprivation at the detention centre.",
        "facility": "Detention centre no. 1",
        "custody_phase": "initial_custody",
    }
    return {**body, **overrides}


def post_report(user, follow_up, body):
    return api_client(user).post(f"/api/v1/follow-ups/{follow_up.pk}/report/", body,
                                 format="json")


# --- follow-ups ------------------------------------------------------------------------------


@pytest.fixture
def listed(rec):
    w = rec.world
    rec.soon = ad_hoc(w, rec.case, opens=NOW, due=NOW + DAY, assignee=w.fr_caseworker)
    rec.later = ad_hoc(w, rec.case, opens=NOW + 8 * DAY, due=NOW + 10 * DAY, assignee=w.fr_admin)
    rec.elsewhere = ad_hoc(w, rec.other, opens=NOW + 2 * DAY, due=NOW + 3 * DAY)
    rec.other_visit = first_visit(rec.other)
    sweep(now=NOW)
    return rec


def test_follow_ups_filter_by_case(listed):
    client = api_client(listed.world.fr_caseworker)
    got = ids(client.get("/api/v1/follow-ups/", {"case": listed.case.pk}))
    assert got == pk(listed.visit, listed.soon, listed.later)


def test_follow_ups_filter_by_status(listed):
    client = api_client(listed.world.fr_caseworker)
    assert ids(client.get("/api/v1/follow-ups/?status=overdue")) == pk(
        listed.visit, listed.other_visit)
    assert ids(client.get("/api/v1/follow-ups/?status=due&status=scheduled")) == pk(
        listed.soon, listed.later, listed.elsewhere)


def test_follow_ups_filter_by_due_range(listed):
    client = api_client(listed.world.fr_caseworker)
    window = {"due_after": (NOW + 2 * DAY).isoformat(), "due_before": (NOW + 5 * DAY).isoformat()}
    assert ids(client.get("/api/v1/follow-ups/", window)) == pk(listed.elsewhere)
    after = {"due_after": (NOW + 2 * DAY).isoformat()}
    assert ids(client.get("/api/v1/follow-ups/", after)) == pk(listed.elsewhere, listed.later)
    assert client.get("/api/v1/follow-ups/", {"due_after": "next tuesday"}).status_code == 400


def test_follow_ups_filter_by_assignee_and_mine(listed):
    w = listed.world
    client = api_client(w.fr_caseworker)
    assert ids(client.get("/api/v1/follow-ups/", {"assignee": "fr_admin"})) == pk(listed.later)
    assert ids(client.get("/api/v1/follow-ups/?mine=true")) == pk(listed.soon)
    assert ids(api_client(w.fr_admin).get("/api/v1/follow-ups/?mine=true")) == pk(listed.later)
    assert ids(client.get("/api/v1/follow-ups/?mine=false")) == pk(
        listed.visit, listed.later, listed.elsewhere, listed.other_visit)


def test_follow_ups_of_other_organisations_are_not_listed_or_filterable(listed):
    w = listed.world
    assert ids(api_client(w.it_caseworker).get("/api/v1/follow-ups/")) == pk(
        listed.italian_visit)
    response = api_client(w.it_caseworker).get("/api/v1/follow-ups/", {"case": listed.case.pk})
    # Refused exactly like a case that does not exist.
    assert response.status_code == 400
    assert str(listed.case.pk) not in response.content.decode()
    # The partner sees the shared case's follow-ups, without who is assigned or the notes.
    rows = api_client(w.de_liaison).get("/api/v1/follow-ups/").json()["results"]
    assert {row["id"] for row in rows} == pk(listed.visit, listed.soon, listed.later)
    assert all("assignee" not in row and "note" not in row for row in rows)


def test_an_ad_hoc_follow_up_is_created_for_the_case(rec):
    w = rec.world
    response = api_client(w.fr_caseworker).post("/api/v1/follow-ups/", {
        "case": str(rec.case.pk), "due_at": (NOW + 3 * DAY).isoformat(),
        "mode": "call", "assignee": "fr_admin", "note": "Call the lawyer",
    }, format="json")

    assert response.status_code == 201, response.content
    created = FollowUp.objects.get(pk=response.json()["id"])
    assert created.kind == FollowUp.Kind.AD_HOC and created.mode == "call"
    assert created.plan == MonitoringPlan.objects.get(case=rec.case)
    assert created.assignee == w.fr_admin and created.due_at == NOW + 3 * DAY
    assert created.status == Status.SCHEDULED


@pytest.mark.parametrize("user, body, status", [
    ("fr_caseworker", {"assignee": "de_caseworker"}, 400),  # not a member of the owner
    ("fr_caseworker", {"due_at": "2026-13-01T00:00:00Z"}, 400),
    ("fr_caseworker", {"window_opens_at": (NOW + 5 * DAY).isoformat()}, 400),  # after due
    ("de_caseworker", {}, 403),  # the partner reads, never writes
    ("fr_auditor", {}, 403),
])
def test_an_ad_hoc_follow_up_is_refused(rec, user, body, status):
    before = FollowUp.objects.count()
    response = api_client(getattr(rec.world, user)).post("/api/v1/follow-ups/", {
        "case": str(rec.case.pk), "due_at": (NOW + 3 * DAY).isoformat(), **body,
    }, format="json")
    assert response.status_code == status, response.content
    assert FollowUp.objects.count() == before


def test_an_ad_hoc_follow_up_for_an_outsiders_case_finds_no_case(rec):
    response = api_client(rec.world.fr_caseworker).post("/api/v1/follow-ups/", {
        "case": str(rec.italian.pk), "due_at": (NOW + 3 * DAY).isoformat(),
    }, format="json")
    assert response.status_code == 400 and "case" in response.json()
    assert not FollowUp.objects.filter(case=rec.italian, kind="ad_hoc").exists()


def _patch(user, follow_up, **body):
    follow_up.refresh_from_db()
    return api_client(user).patch(
        f"/api/v1/follow-ups/{follow_up.pk}/", {"version": follow_up.version, **body},
        format="json",
    )


def test_a_follow_up_is_reassigned_to_a_colleague(rec):
    response = _patch(rec.world.fr_caseworker, rec.visit, assignee="fr_admin")
    assert response.status_code == 200, response.content
    rec.visit.refresh_from_db()
    assert rec.visit.assignee == rec.world.fr_admin and rec.visit.version == 2


def test_a_follow_up_is_not_reassigned_to_someone_outside_the_owner(rec):
    w = rec.world
    # Someone in another of the caller's organisations is a colleague, but not of the owner.
    MembershipFactory(user=w.fr_caseworker, organisation=w.ngo_it)
    for assignee in ("de_caseworker", "it_caseworker", "nobody"):
        response = _patch(w.fr_caseworker, rec.visit, assignee=assignee)
        assert response.status_code == 400, (assignee, response.content)
        assert "assignee" in response.json()
    rec.visit.refresh_from_db()
    assert rec.visit.assignee is None and rec.visit.version == 1


def test_cancelling_a_regular_check_schedules_the_next_one(rec):
    response = _patch(rec.world.fr_caseworker, rec.visit, status="cancelled")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    rec.visit.refresh_from_db()
    assert rec.visit.status == Status.CANCELLED
    (regular,) = open_regular_checks(rec.case)
    assert regular.due_at == NOW + 7 * DAY


def test_a_follow_up_is_only_cancelled_by_hand_and_a_stale_version_is_refused(rec):
    w = rec.world
    assert _patch(w.fr_caseworker, rec.visit, status="completed").status_code == 400
    stale = api_client(w.fr_caseworker).patch(
        f"/api/v1/follow-ups/{rec.visit.pk}/", {"version": 7, "status": "cancelled"},
        format="json",
    )
    assert stale.status_code == 409
    assert _patch(w.de_caseworker, rec.visit, status="cancelled").status_code == 403
    assert _patch(w.it_caseworker, rec.visit, status="cancelled").status_code == 404
    rec.visit.refresh_from_db()
    assert rec.visit.status == Status.SCHEDULED


def test_a_case_overrides_its_cadence_through_the_api_and_a_bad_one_is_refused(rec):
    plan = MonitoringPlan.objects.get(case=rec.case)
    url = f"/api/v1/monitoring-plans/{plan.pk}/"
    client = api_client(rec.world.fr_caseworker)
    bad = client.patch(url, {"version": 1, "profile": "custom",
                             "cadence": {"first_visit_hours": 0}}, format="json")
    assert bad.status_code == 400 and "cadence" in bad.json()
    assert api_client(rec.world.de_caseworker).patch(
        url, {"version": 1, "profile": "intensive"}, format="json").status_code == 403

    good = client.patch(url, {"version": 1, "profile": "intensive"}, format="json")
    assert good.status_code == 200, good.content
    plan.refresh_from_db()
    assert plan.profile == "intensive" and plan.version == 2


# --- reports and findings --------------------------------------------------------------------


def test_a_report_with_its_findings_completes_the_follow_up(rec):
    events = AuditEvent.objects.count()
    response = post_report(rec.world.fr_caseworker, rec.visit, report_body(findings=[
        {"assurance": str(rec.access.pk), "outcome": "complied", "severity": "low"},
        {"assurance": str(rec.torture.pk), "outcome": "allegation_pending", "severity": "high",
         "confidence": "low", "evidence_summary": "Allegation of sleep deprivation."},
    ]))

    assert response.status_code == 201, response.content
    data = response.json()
    report = CheckReport.objects.get(pk=data["id"])
    assert report.follow_up == rec.visit and report.created_by == rec.world.fr_caseworker
    assert data["narrative"].startswith("Seen in private")
    assert {(f["assurance"], f["outcome"]) for f in data["findings"]} == {
        (str(rec.access.pk), "complied"), (str(rec.torture.pk), "allegation_pending")}
    findings = Finding.objects.filter(report=report)
    assert findings.count() == 2
    assert all(f.observed_at == NOW - 2 * HOUR and f.follow_up == rec.visit for f in findings)
    rec.visit.refresh_from_db()
    assert rec.visit.status == Status.COMPLETED and rec.visit.completed_at == NOW - 2 * HOUR
    assert AuditEvent.objects.count() == events + 3
    assert len(open_regular_checks(rec.case)) == 1


@pytest.mark.parametrize("findings", [
    # The second finding is about an assurance of another case of the same organisation.
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"assurance": str(r.other_assurance.pk), "outcome": "breach",
                "severity": "critical"}],
    # … of a case the caller cannot see at all.
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"assurance": str(AssuranceFactory(case=r.italian).pk), "outcome": "breach",
                "severity": "critical"}],
    # Two verdicts on one assurance in one report.
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"assurance": str(r.access.pk), "outcome": "breach", "severity": "high"}],
    # An unknown outcome, or no severity, in the second.
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"assurance": str(r.torture.pk), "outcome": "mostly_fine", "severity": "low"}],
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"assurance": str(r.torture.pk), "outcome": "breach"}],
    # A verdict about no assurance that is not a lapse of monitoring.
    lambda r: [{"assurance": str(r.access.pk), "outcome": "complied", "severity": "low"},
               {"outcome": "breach", "severity": "high"}],
], ids=["other case", "invisible case", "same assurance twice", "unknown outcome",
        "no severity", "no assurance"])
def test_a_report_whose_second_finding_is_invalid_stores_nothing(rec, findings):
    before = snapshot()
    response = post_report(rec.world.fr_caseworker, rec.visit,
                           report_body(findings=findings(rec)))
    assert response.status_code == 400, response.content
    assert "findings" in response.json()
    assert snapshot() == before
    rec.visit.refresh_from_db()
    assert rec.visit.status == Status.SCHEDULED


@pytest.mark.parametrize("body, field", [
    ({"access": "delayed"}, "access_delay_hours"),
    ({"access": "granted", "access_delay_hours": 4}, "access_delay_hours"),
    ({"access": "refused"}, "refusal_reason"),
    ({"checked_at": (NOW + DAY).isoformat()}, "checked_at"),
    ({"checked_at": (NOW - 30 * DAY).isoformat()}, "checked_at"),  # before day 0
    ({"access": "maybe"}, "access"),
    ({"secret_field": "x"}, "secret_field"),
])
def test_a_report_with_bad_input_is_refused_and_stores_nothing(rec, body, field):
    before = snapshot()
    response = post_report(rec.world.fr_caseworker, rec.visit, report_body(**body))
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert snapshot() == before


def test_a_report_that_fails_inside_its_transaction_stores_nothing(rec, monkeypatch):
    def fail(rows):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services.reports, "_close_superseded", fail)
    before = snapshot()
    with pytest.raises(RuntimeError):
        submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
            {"assurance": rec.access, "outcome": "complied", "severity": "low"}])
    assert snapshot() == before


def test_a_report_for_a_follow_up_of_another_organisation_is_not_found(rec):
    w = rec.world
    before = snapshot()
    assert post_report(w.it_caseworker, rec.visit, report_body()).status_code == 404
    assert post_report(w.fr_caseworker, rec.italian_visit, report_body()).status_code == 404
    # The partner sees the shared follow-up, and still may not report on it.
    assert post_report(w.de_caseworker, rec.visit, report_body()).status_code == 403
    assert post_report(w.fr_auditor, rec.visit, report_body()).status_code == 403
    assert snapshot() == before


def test_a_second_report_for_the_same_follow_up_is_refused(rec):
    user = rec.world.fr_caseworker
    assert post_report(user, rec.visit, report_body()).status_code == 201
    regular = open_regular_checks(rec.case)
    before = snapshot()

    response = post_report(user, rec.visit, report_body(narrative="A second version"))

    assert response.status_code == 400
    assert "follow_up" in response.json()
    assert snapshot() == before
    assert CheckReport.objects.filter(follow_up=rec.visit).count() == 1
    assert open_regular_checks(rec.case) == regular


def test_a_report_for_a_missed_follow_up_is_accepted_late(rec):
    sweep(now=rec.visit.missed_at)  # in the frozen past: the visit was due five days ago
    rec.visit.refresh_from_db()
    assert rec.visit.status == Status.MISSED
    response = post_report(rec.world.fr_caseworker, rec.visit, report_body(
        checked_at=(rec.visit.due_at - HOUR).isoformat()))
    assert response.status_code == 201, response.content
    assert len(open_regular_checks(rec.case)) == 1


def test_the_partner_sees_reports_and_findings_without_their_free_text(rec):
    submit(rec.world, rec.visit, checked_at=NOW - HOUR, findings=[
        {"assurance": rec.torture, "outcome": "allegation_pending", "severity": "high",
         "evidence_summary": "Names the guard."},
    ], narrative="Names of relatives", allegations="Sleep deprivation", visitors="Consul",
        privacy="private",
        facility="Centre 1", condition="Thin", family_contact="Wife visited",
        legal_status="Charged", trial_observations="None yet", refusal_reason="")

    owner = api_client(rec.world.fr_caseworker).get("/api/v1/reports/").json()["results"]
    assert owner[0]["narrative"] == "Names of relatives"
    assert owner[0]["findings"][0]["evidence_summary"] == "Names the guard."

    partner = api_client(rec.world.de_liaison)
    (report,) = partner.get("/api/v1/reports/").json()["results"]
    assert report["access"] == "granted" and report["privacy"] == "private"
    for text in ("narrative", "allegations", "visitors", "facility", "condition",
                 "family_contact", "legal_status", "trial_observations", "refusal_reason"):
        assert text not in report, text
    (nested,) = report["findings"]
    assert nested["outcome"] == "allegation_pending" and "evidence_summary" not in nested
    detail = partner.get(f"/api/v1/reports/{report['id']}/").json()
    assert "narrative" not in detail and "allegations" not in detail
    (finding,) = partner.get("/api/v1/findings/").json()["results"]
    assert finding["outcome"] == "allegation_pending" and "evidence_summary" not in finding
    raw = partner.get("/api/v1/reports/").content + partner.get("/api/v1/findings/").content
    assert b"Names" not in raw and b"Sleep" not in raw

    outsider = api_client(rec.world.it_caseworker)
    assert ids(outsider.get("/api/v1/reports/")) == set()
    assert ids(outsider.get("/api/v1/findings/")) == set()
