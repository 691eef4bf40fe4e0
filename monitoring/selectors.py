"""Reads of monitoring that are more than a filter."""

from __future__ import annotations

from collections import defaultdict

from cases.models import Case

from .models import OUTCOME_RANK, UNVERIFIED, Finding, FollowUp, MonitoringPlan


def worst(outcomes) -> str:
    """The worst of `outcomes`; with none, "unverified" (missing data is never compliance)."""
    return max(outcomes, key=OUTCOME_RANK.__getitem__, default=UNVERIFIED)


def case_compliance(case: Case) -> dict:
    """Per assurance: latest outcome, worst open finding, checks done; for the case: its worst
    open finding, last access granted, next check due."""
    findings = list(Finding.objects.filter(case=case).order_by("observed_at", "created_at"))
    by_assurance: dict = defaultdict(list)
    for finding in findings:
        by_assurance[finding.assurance_id].append(finding)
    rows = []
    for assurance in case.assurances.all():
        own = by_assurance.get(assurance.pk, [])
        rows.append(
            {
                "assurance": assurance.pk,
                "type": assurance.type,
                "latest_outcome": own[-1].outcome if own else UNVERIFIED,
                "worst_open_finding": worst(f.outcome for f in own if f.is_open),
                "checks_done": len({f.report_id for f in own if f.report_id}),
                "last_checked_at": own[-1].observed_at if own else None,
            }
        )
    # Lapses of monitoring with no monitoring-access assurance to hang on count for the case.
    unattached = [f.outcome for f in by_assurance.get(None, []) if f.is_open]
    plan = MonitoringPlan.objects.filter(case=case).first()
    next_due = (
        FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN).order_by("due_at").first()
    )
    return {
        "case": case.pk,
        "reference": case.reference,
        "compliance": worst([r["worst_open_finding"] for r in rows] + unattached),
        "assurances": rows,
        "checks_done": case.check_reports.count(),
        "lapses": sum(1 for f in findings if f.outcome == Finding.Outcome.MONITORING_LAPSED),
        "last_access_granted_at": plan.last_access_at if plan else None,
        "next_due_at": next_due.due_at if next_due else None,
        "next_follow_up": next_due.pk if next_due else None,
    }
