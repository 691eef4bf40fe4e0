"""Whether a list's page is read off an index: PostgreSQL's plan of the statement a request
sent for the page.

A test database holds a handful of rows, where reading the whole table and sorting it is the
cheapest plan; so the plan is asked for with sequential scans and sorts priced out
(`enable_seqscan`, `enable_sort`, `enable_incremental_sort` off). A sort still shows in the
plan where no index can give the order, and that is what the tests look for: with thousands of
rows, that sort is of every row the reader may see.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="reads PostgreSQL's plans: SQLite plans otherwise, and the reference search's "
           "trigram index exists on PostgreSQL only",
)

PRICED_OUT = ("enable_seqscan", "enable_sort", "enable_incremental_sort")


def page_statement(client, url: str, table: str) -> str:
    """The SQL of the statement that read the page of `table` (sorted and limited) when
    `client` asked for `url`."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    found = [q["sql"] for q in ctx.captured_queries
             if q["sql"].startswith(f'SELECT "{table}".') and " ORDER BY " in q["sql"]
             and " LIMIT " in q["sql"]]
    assert len(found) == 1, (url, [q["sql"][:120] for q in ctx.captured_queries])
    return found[0]


def plan(sql: str, priced_out: tuple[str, ...] = PRICED_OUT, params=None) -> dict:
    """PostgreSQL's plan of `sql` (EXPLAIN, not run; with its `params` if it has any), with the
    `priced_out` ways of reading (sequential scans and sorts unless told) priced out."""
    with connection.cursor() as cursor:
        for setting in priced_out:
            cursor.execute(f"SET {setting} = off")
        try:
            cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
            return cursor.fetchone()[0][0]["Plan"]
        finally:
            for setting in priced_out:
                cursor.execute(f"RESET {setting}")


def nodes(node: dict) -> Iterator[dict]:
    """Every node of a plan, subplans included."""
    yield node
    for child in node.get("Plans", ()):
        yield from nodes(child)


def sorts(node: dict) -> list[str]:
    return [n["Node Type"] for n in nodes(node) if "Sort" in n["Node Type"]]


def indexes_read(node: dict, table: str) -> set[tuple[str, str]]:
    """(scan type, index) of every index scan of `table` in the plan; a bitmap scan's indexes
    are below the heap scan that names the table."""
    found = set()
    for scan in nodes(node):
        if scan.get("Relation Name") != table:
            continue
        below = nodes(scan) if scan["Node Type"] == "Bitmap Heap Scan" else [scan]
        found |= {(n["Node Type"], n["Index Name"]) for n in below if "Index Name" in n}
    return found


def assert_read_in_order(sql: str, table: str, index: str) -> None:
    """The page's rows come off `index` of `table` in their order: an index scan, no sort."""
    tree = plan(sql)
    order = sql[sql.rindex(" ORDER BY "):]
    assert not sorts(tree), f"{table} sorted, not read in order off {index}:{order}"
    scans = indexes_read(tree, table)
    assert any(kind in ("Index Scan", "Index Only Scan") and name == index
               for kind, name in scans), f"{table} is not read through {index}: {scans}"
