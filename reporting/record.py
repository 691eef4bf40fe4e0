"""The cross-state compliance record: how assurances given by each requesting state fared.

It counts every finding the caller may see plus every finding its owner marked
`aggregate_only`, grouped by requesting state, legal instrument, assurance type and period.
The findings are read once, in one query whatever the number of organisations, and counted
under every grouping a page or report asks for in the same pass; one more query gives their
cases' first access. Each count is published with the small, consistent perturbation of the
cell-key method (`cellkey`), so that no cell is recovered by subtracting one table from
another; a cell of fewer than three cases, true or published, shows "<3" and nothing else, so
that no individual can be singled out. Medians and percentiles of days are not perturbed: they
are shown only for cells of three cases or more, and no subtraction of them yields a count.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from operator import itemgetter

from django.db.models import CharField, F, Min
from django.db.models.functions import Cast, ExtractYear

from cases import policy
from cases.replica import replica_reads
from monitoring.models import CheckReport, Finding

from . import rates
from .cellkey import KEY_SPACE, RecordKeys, published

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


def _days_to_first_access(cases) -> dict:
    """Per case of `cases` (a query of case ids), keyed by its id as text: days from
    surrender (day 0) to the first check with access granted."""
    rows = (
        CheckReport.objects.filter(case_id__in=cases, access=CheckReport.Access.GRANTED)
        .values("case_id")
        .annotate(case_key=_text("case_id"), first=Min("checked_at"),
                  day_zero=F("case__surrender_date"))
    )
    days = {}
    for row in rows:
        if row["day_zero"] is not None:
            days[row["case_key"]] = max((row["first"].date() - row["day_zero"]).days, 0)
    return days


def _percentile(values: list[int], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return round(statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1], 1)


# What a counted finding contributes: its groups, then what its cell counts. Case, report and
# finding ids are read as text, which the loop below hashes much faster than UUID objects.
_COLUMNS = (*GROUPINGS.values(), "case_key", "report_key", "report__access", "outcome",
            "finding_key")
_CASE, _REPORT, _ACCESS, _OUTCOME, _FINDING = range(len(GROUPINGS), len(_COLUMNS))
_POSITION = {g: i for i, g in enumerate(GROUPINGS)}


class _Cell:
    __slots__ = ("cases", "reports", "refused", "outcomes", "outcome_keys")

    def __init__(self):
        self.cases, self.reports, self.refused = set(), set(), set()
        # Findings by outcome, and the sum of their record keys.
        self.outcomes, self.outcome_keys = Counter(), Counter()


def _sort_key(key: tuple) -> tuple:
    # Groups in ascending order, an unknown group (None) after the known ones.
    return tuple((value is None, value) for value in key)


def _text(field: str) -> Cast:
    return Cast(field, output_field=CharField())


def _key_of(grouping: tuple):
    """A row's key under `grouping`; the empty grouping puts every row in one cell."""
    if not grouping:
        return lambda row: ()
    return itemgetter(*[_POSITION[name] for name in grouping])


@replica_reads()
def compliance_records(user, groupings, *, filters=None) -> list[list[dict]]:
    """The record under each of `groupings` (tuples of GROUPINGS' keys; the empty tuple for
    the whole record as one cell), from one read of the findings that count for `user` and
    one of their cases' first access: a page or a report that shows the record several ways
    reads the data once. The reads go to the read replica where there is one."""
    groupings = [tuple(g) for g in groupings]
    findings = counted_findings(user).filter(**(filters or {}))
    distinct = list(dict.fromkeys(groupings))
    cells = {g: defaultdict(_Cell) for g in distinct}
    plan = [(_key_of(g), cells[g]) for g in distinct]
    rows = (
        findings.annotate(year=ExtractYear("observed_at"), case_key=_text("case_id"),
                          report_key=_text("report_id"), finding_key=_text("id"))
        .values_list(*_COLUMNS).order_by().iterator(chunk_size=20_000)
    )
    refused = CheckReport.Access.REFUSED
    keys = RecordKeys()
    for row in rows:
        case, report, outcome = row[_CASE], row[_REPORT], row[_OUTCOME]
        finding_key = keys[row[_FINDING]]
        was_refused = report is not None and row[_ACCESS] == refused
        for key_of, by_key in plan:
            cell = by_key[key_of(row)]
            cell.cases.add(case)
            cell.outcomes[outcome] += 1
            cell.outcome_keys[outcome] += finding_key
            if report is not None:
                cell.reports.add(report)
                if was_refused:
                    cell.refused.add(report)
    days = _days_to_first_access(findings.values("case_id")) if any(cells.values()) else {}
    out = {}
    for g, by_key in cells.items():
        keyed = ((k if len(g) != 1 else (k,), cell) for k, cell in by_key.items())
        out[g] = [_cell(dict(zip(g, key, strict=True)), cell, days, keys)
                  for key, cell in sorted(keyed, key=lambda item: _sort_key(item[0]))]
    # Each grouping asked for gets a list of its own, even where two were the same.
    return [list(out[g]) for g in groupings]


def compliance_record(user, *, group_by=("requesting_state",), filters=None) -> list[dict]:
    return compliance_records(user, [group_by], filters=filters)[0]


def _cell(group: dict, cell: _Cell, days: dict, keys: RecordKeys) -> dict:
    """A cell as published: each count perturbed by the keys of the records it counts, each
    share a ratio of published counts, so that no figure is exact where its count is not."""
    cases = keys.published(cell.cases) if len(cell.cases) >= SMALL_CELL else 0
    if cases < SMALL_CELL:
        return {**group, "cases": f"<{SMALL_CELL}", "suppressed": True}
    waits = sorted(days[c] for c in cell.cases if c in days)
    checks = keys.published(cell.reports)
    outcomes = {o: published(cell.outcomes[o], cell.outcome_keys[o] % KEY_SPACE)
                for o in Outcome.values}
    findings = published(sum(cell.outcomes.values()),
                         sum(cell.outcome_keys.values()) % KEY_SPACE)
    refused = min(keys.published(cell.refused), checks)
    without_access = {c for c in cell.cases if c not in days}
    return {
        **group,
        "suppressed": False,
        "cases": cases,
        "checks": checks,
        "findings": findings,
        "outcomes": outcomes,
        "access_refused_share": rates.share(refused, checks),
        "unverifiable_share": rates.share(min(outcomes[Outcome.UNVERIFIABLE], findings),
                                          findings),
        "days_to_first_access_median": _percentile(waits, 0.5),
        "days_to_first_access_p90": _percentile(waits, 0.9),
        "cases_without_access": min(keys.published(without_access), cases),
        "lapses": outcomes[Outcome.MONITORING_LAPSED],
    }


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
