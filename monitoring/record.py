"""The cross-state compliance record: how assurances given by each requesting state fared.

It counts every finding the caller may see plus every finding its owner marked
`aggregate_only`, grouped by requesting state, legal instrument, assurance type and period, in
one grouped query whatever the number of organisations. A cell covering fewer than three cases
shows "<3" and nothing else, so that no individual can be singled out.
"""

from __future__ import annotations

import statistics
from collections import defaultdict

from django.db.models import Count, F, Min, Q
from django.db.models.functions import ExtractYear

from cases import policy

from .models import CheckReport, Finding

SMALL_CELL = 3
GROUPINGS = {
    "requesting_state": "case__requesting_state_id",
    "legal_instrument": "case__legal_instrument_id",
    "assurance_type": "assurance__type",
    "year": "year",
}
Outcome = Finding.Outcome


def counted_findings(user):
    """Findings that count for `user`: those it may see, and those shared as aggregates."""
    return policy.for_aggregates(Finding.objects.all(), user)


def _days_to_first_access(case_ids) -> dict:
    """Per case: days from surrender (day 0) to the first check with access granted."""
    rows = (
        CheckReport.objects.filter(case_id__in=case_ids, access=CheckReport.Access.GRANTED)
        .values("case_id")
        .annotate(first=Min("checked_at"), day_zero=F("case__surrender_date"))
    )
    days = {}
    for row in rows:
        if row["day_zero"] is not None:
            days[row["case_id"]] = max((row["first"].date() - row["day_zero"]).days, 0)
    return days


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 1)


def compliance_record(user, *, group_by=("requesting_state",), filters=None) -> list[dict]:
    filters = filters or {}
    findings = counted_findings(user).filter(**filters)
    keys = [GROUPINGS[g] for g in group_by]
    cells = (
        findings.annotate(year=ExtractYear("observed_at"))
        .values(*keys)
        .annotate(
            cases=Count("case", distinct=True),
            findings=Count("id"),
            checks=Count("report", distinct=True),
            refused_checks=Count(
                "report", distinct=True, filter=Q(report__access=CheckReport.Access.REFUSED)
            ),
            unverifiable=Count("id", filter=Q(outcome=Outcome.UNVERIFIABLE)),
            lapses=Count("id", filter=Q(outcome=Outcome.MONITORING_LAPSED)),
            **{f"outcome_{o}": Count("id", filter=Q(outcome=o)) for o in Outcome.values},
        )
        .order_by(*keys)
    )
    cells = list(cells)
    # Days to first access need the cases of each cell: one more grouped query.
    case_cells = defaultdict(set)
    for row in (findings.annotate(year=ExtractYear("observed_at")).values(*keys, "case_id")
                .order_by().distinct()):
        case_cells[tuple(row[k] for k in keys)].add(row["case_id"])
    all_cases = set().union(*case_cells.values()) if case_cells else set()
    days = _days_to_first_access(all_cases)

    out = []
    for cell in cells:
        key = tuple(cell[k] for k in keys)
        group = {g: cell[GROUPINGS[g]] for g in group_by}
        if cell["cases"] < SMALL_CELL:
            out.append({**group, "cases": f"<{SMALL_CELL}", "suppressed": True})
            continue
        waits = sorted(days[c] for c in case_cells[key] if c in days)
        checks = cell["checks"]
        out.append(
            {
                **group,
                "suppressed": False,
                "cases": cell["cases"],
                "checks": checks,
                "findings": cell["findings"],
                "outcomes": {o: cell[f"outcome_{o}"] for o in Outcome.values},
                "access_refused_share": round(cell["refused_checks"] / checks, 3)
                if checks
                else None,
                "unverifiable_share": round(cell["unverifiable"] / cell["findings"], 3),
                "days_to_first_access_median": _percentile(waits, 0.5),
                "days_to_first_access_p90": _percentile(waits, 0.9),
                "cases_without_access": cell["cases"] - len(waits),
                "lapses": cell["lapses"],
            }
        )
    return out



def record_filters(query: dict) -> dict:
    """ORM filters on findings from the validated query of the compliance record."""
    filters = {}
    if query.get("requesting_state"):
        filters["case__requesting_state_id"] = query["requesting_state"].pk
    if query.get("legal_instrument"):
        filters["case__legal_instrument_id"] = query["legal_instrument"]
    if query.get("assurance_type"):
        filters["assurance__type"] = query["assurance_type"]
    if query.get("observed_after"):
        filters["observed_at__date__gte"] = query["observed_after"]
    if query.get("observed_before"):
        filters["observed_at__date__lte"] = query["observed_before"]
    return filters
