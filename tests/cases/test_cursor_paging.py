"""Paging an API list by its cursor shows every row once, in the list's order, whatever the
sorted field holds: empty dates come last ascending and first descending, as on PostgreSQL's
indexes, and rows that tie come in the order of the tie-breaker.

The lists are walked to the end by their `next` links and back by their `previous` links, a
page of two at a time, so that pages end inside a run of ties and across the empty values. A
cursor that is not one the list gave (a position of the wrong length, a date that is no date)
is a 400 naming `cursor`.
"""

from __future__ import annotations

import datetime
import json
from base64 import b64encode
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from cases.models import Assurance, Case
from monitoring.models import FollowUp

from ..conftest import api_client, used_client
from ..factories import AssuranceFactory, CaseFactory
from ..monitoring_helpers import DAY, NOW, ad_hoc, freeze, monitored_case


def day(month: int, n: int) -> datetime.date:
    return datetime.date(2026, month, n)


# Surrender, request and status-change dates of the cases walked: empty ones among them,
# and ties on each.
CASES = [
    (None, None, None),
    (day(1, 5), day(1, 1), day(1, 5)),
    (None, day(1, 1), None),
    (day(1, 3), None, day(1, 3)),
    (day(1, 5), None, day(1, 5)),
    (None, day(1, 2), day(1, 2)),
    (day(2, 1), day(1, 2), None),
    (None, None, day(1, 2)),
    (day(1, 5), day(1, 1), None),
]
CASE_ORDERS = [
    "surrender_date", "-surrender_date", "request_date", "-request_date",
    "status_changed_on", "-status_changed_on", "surrender_date,-request_date",
    "-request_date,surrender_date", "",
]


def documented(ordering: str, default: str, tie_breaker: str) -> list:
    """`ordering` as the API documents it: empty values last ascending and first descending,
    the tie-breaker last in the direction of the term before it."""
    terms = ordering.split(",") if ordering else [default]
    terms.append(f"-{tie_breaker}" if terms[-1].startswith("-") else tie_breaker)
    return [F(t[1:]).desc(nulls_first=True) if t.startswith("-") else F(t).asc(nulls_last=True)
            for t in terms]


def walk(client, url: str) -> list[list[str]]:
    """The ids of each page, following `next` links from `url` to the end."""
    pages = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        assert (body["previous"] is None) == (len(pages) == 1), url
        url = body["next"]
    return pages


def walk_back(client, last_url: str) -> list[list[str]]:
    """The ids of each page, following `previous` links from the last page to the first."""
    pages, url = [], last_url
    while url:
        body = client.get(url).json()
        pages.append([row["id"] for row in body["results"]])
        assert body["next"] is not None or url == last_url, url
        url = body["previous"]
    return pages


def last_page_url(client, url: str) -> str:
    while (following := client.get(url).json()["next"]) is not None:
        url = following
    return url


def assert_walks_in_order(client, url: str, expected: list[str]) -> None:
    """Every row once, in `expected` order, both ways; the same rows as the list unpaged."""
    unpaged = client.get(url.replace("page_size=2", "page_size=200")).json()
    assert [row["id"] for row in unpaged["results"]] == expected
    assert unpaged["next"] is None and unpaged["previous"] is None
    pages = walk(client, url)
    assert [i for page in pages for i in page] == expected
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert walk_back(client, last_page_url(client, url)) == pages[::-1]


@pytest.fixture
def cases(world):
    for surrender, request, changed in CASES:
        CaseFactory(owner=world.ngo_fr, surrender_date=surrender, request_date=request,
                    status_changed_on=changed)


@pytest.mark.parametrize("ordering", CASE_ORDERS)
def test_paging_through_cases_shows_each_once_in_the_documented_order(world, cases, ordering):
    expected = [str(pk) for pk in Case.objects.filter(owner=world.ngo_fr).order_by(
        *documented(ordering, "-created_at", "reference")).values_list("pk", flat=True)]
    assert len(expected) == len(CASES)
    url = "/api/v1/cases/?" + urlencode({"ordering": ordering, "page_size": 2})
    assert_walks_in_order(api_client(world.fr_caseworker), url, expected)


@pytest.mark.parametrize("ordering", ["given_on", "-given_on", "type"])
def test_paging_through_assurances_by_a_date_often_empty(world, ordering):
    case = CaseFactory(owner=world.ngo_fr)
    for given_on, kind in [(None, "other"), (day(1, 4), "fair_trial"), (None, "fair_trial"),
                           (day(1, 4), "other"), (day(1, 2), "other"), (None, "other"),
                           (day(1, 4), "fair_trial")]:
        AssuranceFactory(case=case, given_on=given_on, type=kind)
    expected = [str(pk) for pk in Assurance.objects.order_by(
        *documented(ordering, "", "pk")).values_list("pk", flat=True)]
    url = f"/api/v1/assurances/?ordering={ordering}&page_size=2"
    assert_walks_in_order(api_client(world.fr_caseworker), url, expected)


@pytest.mark.parametrize("ordering", ["due_at", "-due_at", "-created_at"])
def test_paging_through_follow_ups_that_fall_due_together(world, time_machine, ordering):
    # The monitoring lists sort by dates that are never empty: a time in the cursor comes back
    # to the microsecond, and ties still break on the id.
    freeze(time_machine)
    case = monitored_case(world)
    for n in range(5):
        due = NOW + (20 + n % 2) * DAY
        ad_hoc(world, case, opens=due - DAY, due=due)
    expected = [str(pk) for pk in FollowUp.objects.order_by(
        *documented(ordering, "", "pk")).values_list("pk", flat=True)]
    assert len(expected) >= 6
    url = f"/api/v1/follow-ups/?ordering={ordering}&page_size=2"
    assert_walks_in_order(api_client(world.fr_caseworker), url, expected)


def test_a_page_after_a_cursor_costs_the_same_queries_as_the_first(world, cases):
    client = used_client(world.fr_caseworker)
    url = "/api/v1/cases/?ordering=surrender_date&page_size=2"
    counts = []
    for _ in range(3):
        with CaptureQueriesContext(connection) as ctx:
            url = client.get(url).json()["next"]
        counts.append(len(ctx.captured_queries))
    assert counts[1:] == counts[:1] * 2


def cursor(**tokens) -> str:
    return b64encode(urlencode(tokens).encode()).decode()


@pytest.mark.parametrize("token", [
    cursor(p=json.dumps(["2026-01-05"])),  # the tie-breaker's value missing
    cursor(p=json.dumps(["2026-01-05", "T-2026-00001", "x"])),
    cursor(p=json.dumps(["2026-02-30", "T-2026-00001"])),  # no such day
    cursor(p=json.dumps([20260105, "T-2026-00001"])),
    cursor(p=json.dumps(["2026-01-05", None])),  # a reference is never empty
    cursor(p=json.dumps(["2026-01-05", "T-\x00"])),
    cursor(p=json.dumps({"surrender_date": "2026-01-05"})),
    cursor(p="2026-01-05"),  # DRF's own cursor, of the first term alone
    cursor(o="2", p=json.dumps(["2026-01-05", "T-2026-00001"])),
    cursor(r="2", p=json.dumps(["2026-01-05", "T-2026-00001"])),
    cursor(p="[" * 5000),
])
def test_a_forged_cursor_is_refused_naming_it(world, cases, token):
    response = api_client(world.fr_caseworker).get(
        "/api/v1/cases/", {"ordering": "surrender_date", "cursor": token})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize("position", [
    ["2026-01-05T00:00:00", "T-2026-00001"],  # a time without its zone
    ["0001-01-01T00:00:00+05:00", "T-2026-00001"],  # before the calendar starts, in UTC
    ["2026-01-05T00:00:00+00:00", 7],
])
def test_a_forged_time_is_refused_naming_the_cursor(world, cases, position):
    response = api_client(world.fr_caseworker).get(
        "/api/v1/cases/", {"ordering": "-created_at", "cursor": cursor(p=json.dumps(position))})
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["cursor"]


def test_a_position_on_an_empty_date_is_read(world, cases):
    # After the last case with a surrender date come those without, in reference order.
    undated = sorted(Case.objects.filter(surrender_date=None).values_list("reference", flat=True))
    token = cursor(p=json.dumps([None, undated[0]]))
    response = api_client(world.fr_caseworker).get(
        "/api/v1/cases/", {"ordering": "surrender_date", "cursor": token})
    assert response.status_code == 200, response.content[:300]
    assert [row["reference"] for row in response.json()["results"]] == undated[1:]
