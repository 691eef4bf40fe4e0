"""The risk brief: before a decision on a case, how assurances given by its requesting state
fared, and which earlier surrenders to that state are still open, unverified or troubled."""

from __future__ import annotations

from django.db.models import Count, Q

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
    aggregates only) without anything that points to them. Two statements, whatever the number
    of cases: the earlier cases the user sees, and the counted findings grouped by case. Read
    from the replica where there is one."""
    earlier = Q(requesting_state_id=case.requesting_state_id, status__in=AFTER_SURRENDER)
    cases = {
        pk: {"created": created, "status": status, "surrendered": surrendered,
             "reference": reference, "shown": True, "findings": False, "open": set()}
        for pk, created, status, surrendered, reference in policy.restrict(
            Case.objects.filter(earlier).exclude(pk=case.pk), user
        ).values_list("pk", "created_at", "status", "surrender_date", "reference").order_by()
    }
    # Only whether a case has findings, and which warnings are open, matter: one row per case.
    grouped = (
        counted_findings(user)
        .filter(case__requesting_state_id=case.requesting_state_id,
                case__status__in=AFTER_SURRENDER)
        .exclude(case_id=case.pk)
        .values("case_id", "case__created_at", "case__status", "case__surrender_date")
        .annotate(**{f"open_{o}": Count("pk", filter=Q(outcome=o, is_open=True))
                     for o in WARNING_OUTCOMES})
        .order_by()
    )
    for row in grouped:
        other = cases.setdefault(row["case_id"], {
            "created": row["case__created_at"], "status": row["case__status"],
            "surrendered": row["case__surrender_date"], "reference": None, "shown": False,
            "open": set()})
        other["findings"] = True
        other["open"] = {o for o in WARNING_OUTCOMES if row[f"open_{o}"]}
    out = []
    # As the case list orders them: the most recently registered first.
    for pk, other in sorted(cases.items(), key=lambda item: item[1]["created"], reverse=True):
        reasons = []
        if other["status"] != Case.Status.MONITORING_CLOSED:
            reasons.append("monitoring_open")
        if not other["findings"]:
            reasons.append("unverified")
        reasons += [o for o in WARNING_OUTCOMES if o in other["open"]]
        if not reasons:
            continue
        shown = other["shown"]
        out.append(
            {
                "reference": other["reference"] if shown else None,
                "case": pk if shown else None,
                "surrendered_in": other["surrendered"].year if other["surrendered"] else None,
                "reasons": reasons,
                "counted_in_aggregates_only": not shown,
            }
        )
    return out


def state_record(user, case: Case, groupings) -> list[list[dict]]:
    """The record of the case's requesting state, under each of `groupings`, in one read."""
    return compliance_records(user, groupings,
                              filters={"case__requesting_state_id": case.requesting_state_id})
