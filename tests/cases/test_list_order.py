"""Every order a case list offers is read off an index, ties come in one order, and a search
by part of a reference reads the references' trigram indexes.

On PostgreSQL the plan of each list's page statement has no sort (tests/plan_support.py): the
rows come off an index of `Case.Meta.indexes` in the order asked, the reference breaking ties.
On both databases a list costs the same queries whatever its order or search, and paging
through rows that tie on the sorted field shows each once.
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cases.api.pagination import total_ordering
from cases.filters import CaseFilter
from cases.models import Case
from cases.views.cases import CaseList
from monitoring.models import Finding

from ..conftest import used_client
from ..factories import CaseFactory
from ..plan_support import assert_read_in_order, indexes_read, on_postgresql, page_statement, plan

PASSWORD = "correct horse battery staple"
TABLE = "cases_case"
# The unique constraint of the reference, made with the table.
REFERENCE_INDEX = "cases_case_reference_key"
API_ORDERS = {
    "created_at": "case_created_order",
    "reference": REFERENCE_INDEX,
    "request_date": "case_request_date_order",
    "surrender_date": "case_surrender_order",
    "status_changed_on": "case_status_changed_order",
}
WEB_SORTS = {
    "reference": REFERENCE_INDEX,
    "request_date": "case_request_date_order",
    "status": "case_workflow_order",
    "changed": "case_changed_order",
}


def both_ways(orders: dict) -> list[tuple[str, str]]:
    return [(f"{sign}{name}", index) for name, index in orders.items() for sign in ("", "-")]


def web_client(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_lists_offer_the_orders_tested_here():
    from cases.api.views import CaseViewSet

    assert set(CaseViewSet.ordering_fields) == set(API_ORDERS)
    assert set(CaseList.orderings) == {term for term, _index in both_ways(WEB_SORTS)}


@on_postgresql
@pytest.mark.parametrize(("term", "index"), both_ways(API_ORDERS))
def test_each_order_of_the_api_case_list_is_read_off_an_index(world, term, index):
    CaseFactory(owner=world.ngo_fr)
    sql = page_statement(used_client(world.fr_caseworker), f"/api/v1/cases/?ordering={term}",
                         TABLE)
    assert_read_in_order(sql, TABLE, index)


@on_postgresql
@pytest.mark.parametrize(("sort", "index"), both_ways(WEB_SORTS))
def test_each_sort_of_the_web_case_list_is_read_off_an_index(world, sort, index):
    CaseFactory(owner=world.ngo_fr)
    sql = page_statement(web_client(world.fr_caseworker), f"/cases/?sort={sort}", TABLE)
    assert_read_in_order(sql, TABLE, index)


@on_postgresql
@pytest.mark.parametrize("url", ["/api/v1/cases/?{}", "/cases/?{}"])
def test_a_search_by_part_of_a_reference_reads_the_trigram_indexes(world, url):
    case = CaseFactory(owner=world.ngo_fr)
    client = (used_client if url.startswith("/api/") else web_client)(world.fr_caseworker)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url.format(urlencode({"q": case.reference[2:9]})))
    assert response.status_code == 200
    # The look-up of the cases whose reference or subject's reference matches (the page then
    # reads the few found by id).
    (sql,) = [q["sql"] for q in ctx.captured_queries
              if " UNION " in q["sql"] and "LIKE" in q["sql"].upper()]
    # A table this small would be read whole, or down a whole index, however it is searched:
    # both are priced out, which leaves the indexes that can answer
    # `UPPER(reference) LIKE '%...%'` themselves.
    tree = plan(sql, priced_out=("enable_seqscan", "enable_indexscan"))
    assert ("Bitmap Index Scan", "case_reference_trgm") in indexes_read(tree, TABLE)
    assert ("Bitmap Index Scan", "subject_reference_trgm") in indexes_read(tree, "cases_subject")


def statements(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_the_api_case_list_costs_the_same_queries_in_every_order_and_search(world):
    for i in range(3):
        CaseFactory(owner=world.ngo_fr, request_date=datetime.date(2026, 1, 1 + i))
    client = used_client(world.fr_admin)
    orders = [f"/api/v1/cases/?ordering={term}" for term, _index in both_ways(API_ORDERS)]
    searches = ["/api/v1/cases/?q=T-20", "/api/v1/cases/?q=Fictional%20Person"]
    # The pinned count of tests/cases/test_query_counts.py (an empty page spares the
    # prefetches); a search first looks its matches up, by name and by reference.
    assert {url: statements(client, url) for url in orders} == dict.fromkeys(orders, 8)
    assert {url: statements(client, url) for url in searches} == dict.fromkeys(searches, 10)


def test_paging_through_cases_that_tie_shows_each_once_in_reference_order(world):
    same_day = datetime.date(2026, 2, 1)
    made = sorted(CaseFactory(owner=world.ngo_fr, request_date=same_day).reference
                  for _ in range(7))
    client = used_client(world.fr_caseworker)
    for term, expected in (("request_date", made), ("-request_date", made[::-1])):
        seen, url = [], f"/api/v1/cases/?ordering={term}&page_size=2"
        while url:
            page = client.get(url).json()
            seen += [row["reference"] for row in page["results"]]
            url = page["next"]
        assert seen == expected, term


@pytest.mark.parametrize(("ordering", "model", "tie_breaker", "total"), [
    (("-observed_at",), Finding, "pk", ("-observed_at", "-pk")),
    (("request_date",), Case, "reference", ("request_date", "reference")),
    (("-request_date",), Case, "reference", ("-request_date", "-reference")),
    # A unique field orders alone.
    (("reference",), Case, "reference", ("reference",)),
    (("-id",), Finding, "pk", ("-id",)),
])
def test_an_order_ends_with_its_tie_breaker_unless_already_total(ordering, model, tie_breaker,
                                                                 total):
    assert total_ordering(ordering, model, tie_breaker) == total


@pytest.mark.parametrize("q", ["T-2026", "SUBJ-", "Fictional Person"])
def test_a_search_with_more_matches_than_are_looked_up_finds_the_same_cases(world, monkeypatch,
                                                                             q):
    """Past `CaseFilter.FEW` matches each case is matched on its own row: the same cases."""
    for _ in range(4):
        CaseFactory(owner=world.ngo_fr)
    CaseFactory(owner=world.ngo_it)  # an outsider's, never found by ngo_fr
    client = used_client(world.fr_caseworker)

    def found() -> list[str]:
        response = client.get("/api/v1/cases/", {"q": q})
        assert response.status_code == 200
        return sorted(row["reference"] for row in response.json()["results"])

    few = found()
    monkeypatch.setattr(CaseFilter, "FEW", 1)
    assert found() == few and len(few) == 4
