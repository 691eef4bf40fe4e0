"""Every order the follow-up and finding lists offer is read off an index (PostgreSQL's plan of
the page statement has no sort: tests/plan_support.py), and the lists cost the same queries in
every order."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from monitoring.api.views import FindingViewSet, FollowUpViewSet
from monitoring.views.checks import FollowUpList

from ..conftest import used_client
from ..monitoring_helpers import NOW, first_visit, freeze, monitored_case, submit
from ..plan_support import assert_read_in_order, on_postgresql, page_statement

PASSWORD = "correct horse battery staple"
API_ORDERS = {
    ("/api/v1/findings/", "monitoring_finding"): {
        "observed_at": "finding_observed_order", "created_at": "finding_created_order"},
    ("/api/v1/follow-ups/", "monitoring_followup"): {
        "due_at": "followup_due_order", "created_at": "followup_created_order"},
}
API_CASES = [(url, table, f"{sign}{field}", index)
             for (url, table), orders in API_ORDERS.items()
             for field, index in orders.items() for sign in ("", "-")]
WEB_SORTS = {"due": "followup_open_due_order", "-due": "followup_open_due_desc"}


@pytest.fixture
def checked(world, time_machine):
    """A monitored case of ngo_fr whose first visit was reported, with a finding."""
    freeze(time_machine)
    case = monitored_case(world)
    assurance = case.assurances.create(type="monitoring_access", verbatim_text="Access",
                                       form="diplomatic_note", issuer="Ministry",
                                       issuer_level="central_government")
    submit(world, first_visit(case), checked_at=NOW,
           findings=[{"assurance": assurance, "outcome": "complied", "severity": "low"}])
    return case


def test_the_lists_offer_the_orders_tested_here():
    assert set(FindingViewSet.ordering_fields) == set(API_ORDERS["/api/v1/findings/",
                                                                  "monitoring_finding"])
    assert set(FollowUpViewSet.ordering_fields) == set(API_ORDERS["/api/v1/follow-ups/",
                                                                   "monitoring_followup"])
    assert set(FollowUpList.orderings) == set(WEB_SORTS)


@on_postgresql
@pytest.mark.parametrize(("url", "table", "term", "index"), API_CASES)
def test_each_order_of_the_api_lists_is_read_off_an_index(world, checked, url, table, term,
                                                          index):
    sql = page_statement(used_client(world.fr_caseworker), f"{url}?ordering={term}", table)
    assert_read_in_order(sql, table, index)


@on_postgresql
@pytest.mark.parametrize(("sort", "index"), WEB_SORTS.items())
def test_each_sort_of_the_web_follow_up_list_is_read_off_an_index(world, checked, sort, index):
    client = Client()
    assert client.login(username=world.fr_caseworker.username, password=PASSWORD)
    sql = page_statement(client, f"/follow-ups/?sort={sort}", "monitoring_followup")
    assert_read_in_order(sql, "monitoring_followup", index)


def test_the_api_lists_cost_the_same_queries_in_every_order(world, checked):
    client = used_client(world.fr_caseworker)
    counts = {}
    for url, _table, term, _index in API_CASES:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{url}?ordering={term}").status_code == 200
        counts[url, term] = len(ctx.captured_queries)
    # The pinned counts of tests/cases/test_query_counts.py.
    assert counts == {(url, term): 3 for url, _table, term, _index in API_CASES}
