"""The risk brief: before a decision on a case, how assurances given by its requesting state
fared, and which earlier surrenders to that state are still open, unverified or troubled."""

from __future__ import annotations

from collections import defaultdict

from cases import policy
from cases.models import Case
from cases.replica import replica_reads
from monitoring.models import Finding

from .record import compliance_records, counted_findings

AFTER_SURRENDER = (
    Case.Status.SURRENDERED,
    Case.Status.MONITORING_ACTIVE,
    Case.Status.MONITORING_CLOSED,
)
WARNING_OUTCOMES = (Finding.Outcome.BREACH, Finding.Outcome.ACCESS_DENIED)


@replica_reads()
def earlier_surrenders(user, case: Case) -> list[dict]:
    """Earlier surrenders to the same state whose monitoring is open, unverified, or has an open
    breach or access refusal: those the user may see by reference, the others (counted in
    aggregates only) without anything that points to them. Read from the replica where there
    is one."""
    visible = set(policy.visible_case_ids(user).values_list("pk", flat=True).filter(
        requesting_state_id=case.requesting_state_id, status__in=AFTER_SURRENDER))
    counted = counted_findings(user).filter(case__requesting_state_id=case.requesting_state_id)
    aggregate_cases = set(
        counted.exclude(case_id__in=visible).values_list("case_id", flat=True)
        .order_by().distinct()
    )
    candidates = (
        Case.objects.filter(pk__in=visible | aggregate_cases, status__in=AFTER_SURRENDER)
        .exclude(pk=case.pk)
        .select_related("owner")
    )
    by_case = defaultdict(list)
    # Only whether a case has findings, and which are open, matter: one row per kind.
    for finding in counted.filter(case_id__in=[c.pk for c in candidates]).values(
        "case_id", "outcome", "is_open"
    ).order_by().distinct():
        by_case[finding["case_id"]].append(finding)
    out = []
    for other in candidates:
        rows = by_case.get(other.pk, [])
        reasons = []
        if other.status != Case.Status.MONITORING_CLOSED:
            reasons.append("monitoring_open")
        if not rows:
            reasons.append("unverified")
        open_outcomes = {r["outcome"] for r in rows if r["is_open"]}
        reasons += [o for o in WARNING_OUTCOMES if o in open_outcomes]
        if not reasons:
            continue
        shown = other.pk in visible
        out.append(
            {
                "reference": other.reference if shown else None,
                "case": other.pk if shown else None,
                "surrendered_in": other.surrender_date.year if other.surrender_date else None,
                "reasons": reasons,
                "counted_in_aggregates_only": not shown,
            }
        )
    return out


def state_record(user, case: Case, groupings) -> list[list[dict]]:
    """The record of the case's requesting state, under each of `groupings`, in one read."""
    return compliance_records(user, groupings,
                              filters={"case__requesting_state_id": case.requesting_state_id})
