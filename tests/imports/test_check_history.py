"""A monitoring history brought in: each check with its report and findings, the plan's own
checks completed in order so that the cadence moves on as it went."""

from __future__ import annotations

import pytest

from cases.models import Case
from imports.models import ImportJob
from monitoring.models import CheckReport, Finding, FollowUp

from .support import CASE_ROW, csv_bytes, imported

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def monitored(world):
    row = {**CASE_ROW, "status": "monitoring_active", "status_changed_on": "2024-03-01",
           "surrender_date": "2024-03-01"}
    job = imported(world.fr_caseworker, csv_bytes([row]))
    assert job.status == "done", job.errors
    assurances = [{
        "reference": f"A-{kind}", "case": "NGO-1", "type": kind, "verbatim_text": "Promised.",
        "form": "diplomatic_note", "issuer": "Ministry", "issuer_level": "central_government"}
        for kind in ("no_torture", "monitoring_access")]
    assert imported(world.fr_caseworker, csv_bytes(assurances), kind="assurances",
                    name="a.csv").status == "done"
    return Case.objects.get()


CHECKS = [
    {"reference": "V-1", "case": "NGO-1", "checked_at": "2024-03-10 10:30",
     "kind": "first_visit", "mode": "visit", "access": "granted",
     "assurances": "no_torture; A-monitoring_access", "outcomes": "complied; complied",
     "finding_severity": "low; low", "narrative": "Seen in good health.",
     "refusal_reason": "", "privacy": "", "custody_phase": ""},
    {"reference": "V-2", "case": "NGO-1", "checked_at": "2024-04-10", "kind": "cadence",
     "mode": "visit", "access": "refused", "assurances": "", "outcomes": "",
     "finding_severity": "", "narrative": "", "refusal_reason": "None given.",
     "privacy": "private", "custody_phase": ""},
]


def test_a_history_of_checks_completes_the_plan_in_order(world, monitored):
    job = imported(world.fr_caseworker, csv_bytes(CHECKS), kind="checks", name="c.csv")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert job.counts == {"create": 2}
    first = FollowUp.objects.get(kind="first_visit")
    assert first.status == "completed" and first.report.narrative == "Seen in good health."
    assert set(first.report.findings.values_list("assurance__type", "outcome")) == {
        ("no_torture", "complied"), ("monitoring_access", "complied")}
    second = CheckReport.objects.get(access="refused")
    assert second.follow_up.kind == "cadence"
    # A refused visit is a verdict on the monitoring-access promise.
    assert list(second.findings.values_list("outcome", flat=True)) == ["access_denied"]
    # The cadence moved on from the last check: one regular check is open, after it.
    open_checks = FollowUp.objects.filter(status__in=FollowUp.OPEN, kind="cadence")
    assert open_checks.count() == 1 and open_checks.get().due_at > second.checked_at
    again = imported(world.fr_caseworker, csv_bytes(CHECKS), kind="checks", name="c.csv")
    assert again.counts == {"unchanged": 2}
    assert CheckReport.objects.count() == 2 and Finding.objects.count() == 3


def test_a_check_imported_before_is_not_changed_and_bad_rows_are_errors(world, monitored):
    imported(world.fr_caseworker, csv_bytes(CHECKS[:1]), kind="checks", name="c.csv")
    rows = [{**CHECKS[0], "narrative": "Other words."},
            {**CHECKS[1], "reference": "V-3", "assurances": "fair_trial", "outcomes": "breach",
             "finding_severity": "high"},
            {**CHECKS[1], "reference": "V-4", "checked_at": "2099-01-01"}]
    job = imported(world.fr_caseworker, csv_bytes(rows), kind="checks", name="c.csv")
    assert job.status == ImportJob.Status.CHECKED
    assert {(e["row"], e["field"]) for e in job.errors} == {
        (2, "external_reference"), (3, "finding_assurance"), (4, "checked_at")}
    assert CheckReport.objects.count() == 1


def test_checks_need_a_case_under_monitoring(world):
    imported(world.fr_caseworker, csv_bytes([CASE_ROW]))
    job = imported(world.fr_caseworker, csv_bytes(CHECKS[1:]), kind="checks", name="c.csv")
    assert [e["row"] for e in job.errors] == [2]
    assert not CheckReport.objects.exists()
