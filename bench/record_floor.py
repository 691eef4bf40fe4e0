"""What counts kept ahead could save the compliance record: its time in parts, and the size of
a summary per case at the record's grain, on the compliance benchmark's data.

    .venv/bin/python bench/compliance_record.py          # seeds em_bench_record, once
    .venv/bin/python bench/record_floor.py [--repeat 5]

For the compliance benchmark's caller (a caseworker of the largest organisation) it times, by
requesting state, by all four groupings and as the risk brief counts (by state and by state and
assurance type, China only), the median of `--repeat` runs of:
- the whole counting statement, as the record runs it;
- the counted facts alone: the findings that count for the caller, joined to what the cells
  read (their case, assurance and check), written into a temporary table;
- the counting alone: the same statement reading those facts from that table, as if they
  were kept ready for it and cost nothing to select.
The last is a floor for any summary that keeps a row per finding or close to it. The script then
counts the rows a summary per case, assurance type and year would hold (of every finding, of
those that count for the caller, and with each finding's visibility, its distribution, label
and group, added to the grain), beside the findings themselves.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from _common import database_url, machine_line, n, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/em_bench_record"
CALLER = "bench-00.caseworker"
MEASURES = {
    "by requesting state": ([("requesting_state",)], None),
    "by all four": ([("requesting_state", "legal_instrument", "assurance_type", "year")], None),
    "as the brief counts (CN)": ([("requesting_state",), ("requesting_state", "assurance_type")],
                                 {"case__requesting_state_id": "CN"}),
}
FACTS = "pg_temp.bench_facts"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measure")
    return parser.parse_args(argv)


def median_ms(cursor, sql: str, params, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        cursor.execute(sql, params)
        if cursor.description:
            cursor.fetchall()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def parts(cursor, connection, user, groupings, filters, repeat: int) -> tuple[float, ...]:
    """Median ms of the whole statement, of writing its facts, and of counting from them."""
    from reporting.record import counting_sql, counting_statement, facts_statement

    _, whole, whole_params = counting_statement(user, groupings, filters)
    total = median_ms(cursor, whole, whole_params, repeat)
    _, facts, facts_params = facts_statement(user, filters)
    writes = []
    for _ in range(repeat):
        cursor.execute(f"DROP TABLE IF EXISTS {FACTS}")
        start = time.perf_counter()
        cursor.execute(f"CREATE TEMPORARY TABLE {FACTS} AS {facts}", facts_params)  # noqa: S608
        writes.append(time.perf_counter() - start)
    cursor.execute(f"ANALYZE {FACTS}")
    counting, counting_params = counting_sql(groupings, f"SELECT * FROM {FACTS}", connection)  # noqa: S608
    return total, statistics.median(writes) * 1000, median_ms(cursor, counting, counting_params,
                                                              repeat)


def summary_rows(cursor) -> list[tuple[str, int]]:
    """Rows of a summary per case, assurance type and year: of every finding, with each
    finding's visibility in the grain, and of the counted ones (the facts last written)."""
    year = "EXTRACT(YEAR FROM f.observed_at)"
    every = ("FROM monitoring_finding f "
             "LEFT JOIN cases_assurance a ON a.id = f.assurance_id")
    queries = [
        ("findings", f"SELECT COUNT(*) {every}"),
        ("(case, type, year) of every finding",
         f"SELECT COUNT(*) FROM (SELECT DISTINCT f.case_id, a.type, {year} {every}) x"),  # noqa: S608
        ("(case, type, year, distribution, label, group)",
         f"SELECT COUNT(*) FROM (SELECT DISTINCT f.case_id, a.type, {year}, "  # noqa: S608
         f"f.distribution, f.tlp, f.sharing_group_id {every}) x"),
        ("findings counted for the caller", f"SELECT COUNT(*) FROM {FACTS}"),  # noqa: S608
        ("(case, type, year) of those",
         f"SELECT COUNT(*) FROM (SELECT DISTINCT case_id, g2, g3 FROM {FACTS}) x"),  # noqa: S608
        ("checks among those", f"SELECT COUNT(DISTINCT report_id) FROM {FACTS}"),  # noqa: S608
    ]
    out = []
    for label, sql in queries:
        cursor.execute(sql)
        out.append((label, cursor.fetchone()[0]))
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    setup_django(database_url(DEFAULT_DATABASE_URL))
    from django.contrib.auth import get_user_model
    from django.db import connection

    user = get_user_model().objects.get(username=CALLER)
    print("Extradition Monitor: the compliance record in parts")
    print("=" * 100)
    print(f"machine   {machine_line()}")
    print(f"caller    {CALLER}; medians of {args.repeat} runs, in ms")
    print("-" * 100)
    print(f"{'':<28} {'whole':>8} {'facts written':>14} {'counting alone':>15} "
          f"{'counting / whole':>17}")
    with connection.cursor() as cursor:
        rows = []
        for name, (groupings, filters) in MEASURES.items():
            total, facts, counting = parts(cursor, connection, user, groupings, filters,
                                           args.repeat)
            print(f"{name:<28} {total:>8.0f} {facts:>14.0f} {counting:>15.0f} "
                  f"{counting / total:>17.2f}")
            # The caller's whole record: the facts of the first measure, without filters.
            rows = rows or summary_rows(cursor)
        print("-" * 100)
        print("a summary per case, assurance type and year would hold")
        findings = rows[0][1]
        for label, count in rows:
            print(f"  {label:<52} {n(count):>10}  {count / findings:>5.2f} of the findings")
        cursor.execute(f"DROP TABLE IF EXISTS {FACTS}")


if __name__ == "__main__":
    sys.exit(main())
