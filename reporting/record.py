"""The cross-state compliance record: how assurances given by each requesting state fared.

It counts every finding the caller may see plus every finding its owner marked
`aggregate_only`, grouped by requesting state, legal instrument, assurance type and period.
The database does the counting, in one statement whatever the number of organisations or of
groupings asked for: the counted findings are selected once (under the caller's visibility),
and each grouping's cells are added up from them: distinct cases, checks and refused checks,
findings by outcome, the cases without access and the days each case waited for its first.
Each count is published with the small, consistent perturbation of the cell-key method
(`cellkey`), so that no cell is recovered by subtracting one table from another; the sum of
the record keys a count needs is added up beside it, from the key each record keeps. A cell of
fewer than three cases, true or published, shows "<3" and nothing else, so that no individual
can be singled out. Medians and percentiles of days are not perturbed: they are shown only for
cells of three cases or more, and no subtraction of them yields a count. The database works
them out too, a row per cell, as `statistics.quantiles(method="inclusive")` does.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connections
from django.db.models import F
from django.db.models.functions import ExtractYear

from cases import policy
from cases.models import Case
from cases.replica import replica_reads
from monitoring.models import CheckReport, Finding

from . import rates
from .cellkey import KEY_SPACE, published

SMALL_CELL = 3
GROUPINGS = {
    "requesting_state": "case__requesting_state_id",
    "legal_instrument": "case__legal_instrument_id",
    "assurance_type": "assurance__type",
    "year": "year",
}
Outcome = Finding.Outcome
# Each grouping's column among the counted facts: g0 to g3.
_POSITION = {name: i for i, name in enumerate(GROUPINGS)}

# What the counting reads of each counted finding: its groups (in GROUPINGS' order), then what
# its cells count, with the record keys of its case, its report and itself.
_FACTS = ("g0", "g1", "g2", "g3", "case_id", "case_key", "report_id", "report_key", "access",
          "outcome", "finding_key")


def counted_findings(user):
    """Findings that count for `user`: those it may see, and those shared as aggregates."""
    return policy.for_aggregates(Finding.objects.all(), user)


# The percentiles of the days each case waited for its first access: name and percent.
PERCENTILES = {"p50": 50, "p90": 90}


class _Cell:
    """What a cell counts, each as (records, sum of their keys), and the percentiles of the
    days its cases waited for their first access (None where none had any)."""

    __slots__ = ("cases", "reports", "refused", "without_access", "outcomes", "p50", "p90")

    def __init__(self):
        self.cases = self.reports = self.refused = self.without_access = (0, 0)
        self.outcomes: dict[str, tuple[int, int]] = {}
        self.p50 = self.p90 = None


def _sort_key(key: tuple) -> tuple:
    # Groups in ascending order, an unknown group (None) after the known ones.
    return tuple((value is None, value) for value in key)


def _days_waited(vendor: str) -> str:
    """SQL of the days from a case's surrender (day 0) to its first check with access
    (`a.first_at`): the date of the moment in UTC, as Django stores and reads it, never before
    day 0."""
    if vendor == "postgresql":
        return "GREATEST((a.first_at AT TIME ZONE 'UTC')::date - c.surrender_date, 0)"
    return "MAX(CAST(julianday(date(a.first_at)) - julianday(c.surrender_date) AS INTEGER), 0)"


def _percentile_sql(percent: int) -> str:
    """A cell's `percent`th percentile of the days in `ranked` (each case's `k`th of the cell's
    `n`, from 0), times 100: the two days around the point (n - 1) * percent / 100 weighed by
    its fraction, in whole numbers, as `statistics.quantiles(method="inclusive")` weighs them
    before its one division."""
    point = f"({percent} * (n - 1) / 100)"
    fraction = f"({percent} * (n - 1) - 100 * {point})"  # the remainder, in hundredths
    # A whole number, as the counts beside it are (PostgreSQL's sum of bigints is a decimal).
    return (f"CAST(SUM(CASE WHEN k = {point} THEN days * (100 - {fraction}) "
            f"WHEN k = {point} + 1 THEN days * {fraction} ELSE 0 END) AS BIGINT)")


def counting_sql(groupings: list[tuple], facts_sql: str, connection) -> tuple[str, list]:
    """One statement counting the cells of every grouping from the counted findings (`facts`):
    rows of (grouping, g0..g3, measure, item, records, sum of keys); a cell's row of
    percentiles holds its median and its 90th percentile, each times 100, in place of the
    records and the keys. Its names come from this module; its values are parameters, after
    those of `facts_sql`."""
    q = connection.ops.quote_name
    parts, params, cases_ctes = [], [CheckReport.Access.GRANTED], []
    for index, grouping in enumerate(groupings):
        used = [f"g{_POSITION[name]}" for name in grouping]
        groups = ", ".join(f"g{i}" if f"g{i}" in used else "NULL" for i in range(4))
        cols = "".join(f"{c}, " for c in used)
        by = f"GROUP BY {cols[:-2]}" if used else ""
        head = f"SELECT {index}, {groups}"
        # The grouping's distinct cases, each with its days to first access: found once, and
        # counted three ways; those with days ranked within their cell for the percentiles.
        cases, ranked = f"cases{index}", f"ranked{index}"
        cell = f"PARTITION BY {cols[:-2]} " if used else ""
        cases_ctes += [
            f"{cases} AS MATERIALIZED (SELECT {cols}case_id, case_key, access.days "  # noqa: S608
            f"FROM (SELECT DISTINCT {cols}case_id, case_key FROM facts) x "
            "LEFT JOIN access USING (case_id))",
            f"{ranked} AS (SELECT {cols}days, "  # noqa: S608
            f"ROW_NUMBER() OVER ({cell}ORDER BY days) - 1 AS k, COUNT(*) OVER ({cell[:-1]}) AS n "
            f"FROM {cases} WHERE days IS NOT NULL)",
        ]
        reports = (f"(SELECT DISTINCT {cols}report_id, report_key, access FROM facts "  # noqa: S608
                   "WHERE report_id IS NOT NULL)")
        parts += [
            f"{head}, 'cases', NULL, COUNT(*), SUM(case_key) FROM {cases} {by}",
            f"{head}, 'without_access', NULL, COUNT(*), SUM(case_key) FROM {cases} "  # noqa: S608
            f"WHERE days IS NULL {by}",
            f"{head}, 'percentiles', NULL, {_percentile_sql(PERCENTILES['p50'])}, "
            f"{_percentile_sql(PERCENTILES['p90'])} FROM {ranked} {by}",
            f"{head}, 'reports', NULL, COUNT(*), SUM(report_key) FROM {reports} x {by}",
            f"{head}, 'refused', NULL, COUNT(*), SUM(report_key) FROM {reports} x "
            f"WHERE access = %s {by}",
            f"{head}, 'outcome', outcome, COUNT(*), SUM(finding_key) FROM facts "
            f"GROUP BY {cols}outcome",
        ]
        params.append(CheckReport.Access.REFUSED)
    # A first part that yields nothing gives every column its type (PostgreSQL types the
    # parts' NULLs after the first part's columns).
    parts.insert(0, "SELECT -1, g0, g1, g2, g3, outcome, outcome, 0, 0 FROM facts WHERE 1 = 0")
    report_table, case_table = q(CheckReport._meta.db_table), q(Case._meta.db_table)
    sql = (
        f"WITH facts ({', '.join(_FACTS)}) AS MATERIALIZED ({facts_sql}), "  # noqa: S608
        # Each case's first check with access, from the index of granted checks, then its day 0.
        f"access (case_id, days) AS (SELECT a.case_id, {_days_waited(connection.vendor)} "
        f"FROM (SELECT case_id, MIN(checked_at) AS first_at FROM {report_table} "
        f"WHERE access = %s GROUP BY case_id) a JOIN {case_table} c ON c.id = a.case_id "
        "WHERE c.surrender_date IS NOT NULL), "
        + ", ".join(cases_ctes) + " "
        + " UNION ALL ".join(parts)
    )
    return sql, params


def facts_statement(user, filters=None) -> tuple:
    """The connection, SQL and parameters of the counted facts: a row of `_FACTS` per finding
    that counts for `user`, under `filters`."""
    facts = (
        counted_findings(user).filter(**(filters or {}))
        .annotate(g0=F(GROUPINGS["requesting_state"]), g1=F(GROUPINGS["legal_instrument"]),
                  g2=F(GROUPINGS["assurance_type"]), g3=ExtractYear("observed_at"),
                  case_key=F("case__record_key"), report_key=F("report__record_key"),
                  access=F("report__access"), finding_key=F("record_key"))
        .values_list(*_FACTS).order_by()
    )
    connection = connections[facts.db]
    return (connection, *facts.query.get_compiler(connection=connection).as_sql())


def counting_statement(user, groupings: list[tuple], filters=None) -> tuple:
    """The connection, SQL and parameters of the one statement counting the cells of each of
    `groupings` (distinct tuples) from the findings that count for `user`."""
    connection, facts_sql, facts_params = facts_statement(user, filters)
    sql, params = counting_sql(groupings, facts_sql, connection)
    return connection, sql, (*facts_params, *params)


@replica_reads()
def compliance_records(user, groupings, *, filters=None) -> list[list[dict]]:
    """The record under each of `groupings` (tuples of GROUPINGS' keys; the empty tuple for
    the whole record as one cell), counted in one statement: a page or a report that shows
    the record several ways reads the data once. The reads go to the read replica where there
    is one."""
    groupings = [tuple(g) for g in groupings]
    distinct = list(dict.fromkeys(groupings))
    connection, sql, params = counting_statement(user, distinct, filters)
    cells = [defaultdict(_Cell) for _ in distinct]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for index, *groups, measure, item, records, keys in cursor.fetchall():
            # No records, or (a percentile) no case with days: the whole record's one row.
            if records is None or (not records and measure != "percentiles"):
                continue
            if groups[3] is not None:
                groups[3] = int(groups[3])  # the year, a decimal on PostgreSQL
            key = tuple(groups[_POSITION[name]] for name in distinct[index])
            cell, counted = cells[index][key], (records, int(keys or 0) % KEY_SPACE)
            if measure == "outcome":
                cell.outcomes[item] = counted
            elif measure == "percentiles":
                # As `statistics.quantiles` gives them: one division of whole numbers.
                cell.p50, cell.p90 = round(records / 100, 1), round(int(keys) / 100, 1)
            else:
                setattr(cell, measure, counted)
    out = {
        g: [_cell(dict(zip(g, key, strict=True)), cell)
            for key, cell in sorted(by_key.items(), key=lambda item: _sort_key(item[0]))]
        for g, by_key in zip(distinct, cells, strict=True)
    }
    # Each grouping asked for gets a list of its own, even where two were the same.
    return [list(out[g]) for g in groupings]


def compliance_record(user, *, group_by=("requesting_state",), filters=None) -> list[dict]:
    return compliance_records(user, [group_by], filters=filters)[0]


def _cell(group: dict, cell: _Cell) -> dict:
    """A cell as published: each count perturbed by the keys of the records it counts, each
    share a ratio of published counts, so that no figure is exact where its count is not."""
    cases = published(*cell.cases) if cell.cases[0] >= SMALL_CELL else 0
    if cases < SMALL_CELL:
        return {**group, "cases": f"<{SMALL_CELL}", "suppressed": True}
    checks = published(*cell.reports)
    outcomes = {o: published(*cell.outcomes.get(o, (0, 0))) for o in Outcome.values}
    findings = published(sum(n for n, _ in cell.outcomes.values()),
                         sum(k for _, k in cell.outcomes.values()) % KEY_SPACE)
    refused = min(published(*cell.refused), checks)
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
        "days_to_first_access_median": cell.p50,
        "days_to_first_access_p90": cell.p90,
        "cases_without_access": min(published(*cell.without_access), cases),
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
