"""What a list takes in its query string: its filters, its ordering, its page and the format.
Anything else is a 400 naming the parameter, where it used to be ignored (a misspelt filter
returned every record); each error names the parameter that was sent."""

from __future__ import annotations

import datetime

import pytest

from cases.models.sharing import TLP, Distribution
from config.urls import router

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory

LISTS = [f"/api/v1/{prefix}/" for prefix, viewset, _name in router.registry
         if hasattr(viewset, "list")] + ["/api/v1/inbox/", "/api/v1/compliance/"]


@pytest.mark.parametrize("url", LISTS)
def test_every_list_refuses_a_parameter_it_does_not_take_naming_it(world, url):
    response = api_client(world.fr_admin).get(url, {"search": "Original Name"})

    assert response.status_code == 400, response.content[:300]
    assert list(response.json()) == ["search"]


def test_the_message_lists_what_the_list_takes(world):
    message = api_client(world.fr_admin).get("/api/v1/cases/?serach=x").json()["serach"][0]
    for name in ("q", "status", "request_date_after", "ordering", "page_size", "cursor",
                 "format"):
        assert name in message


def test_a_list_takes_its_filters_paging_ordering_and_format(world):
    case = CaseFactory(owner=world.ngo_fr, request_date=datetime.date(2026, 3, 1))
    response = api_client(world.fr_admin).get("/api/v1/cases/", {
        "request_date_after": "2026-02-01", "page_size": 5, "ordering": "-request_date,reference",
        "format": "json", "cursor": "",
    })
    assert response.status_code == 200, response.json()
    assert [c["id"] for c in response.json()["results"]] == [str(case.pk)]


def test_an_empty_value_is_a_value_not_given(world):
    case = CaseFactory(owner=world.ngo_fr)
    response = api_client(world.fr_admin).get(
        "/api/v1/cases/?q=&request_date_after=&page_size=&ordering=&legal_instrument=")
    assert response.status_code == 200, response.json()
    assert [c["id"] for c in response.json()["results"]] == [str(case.pk)]


@pytest.mark.parametrize(("query", "named"), [
    ("request_date_after=notadate", {"request_date_after"}),
    ("request_date_before=2026-02-30", {"request_date_before"}),
    ("request_date_after=2026-01-01&request_date_before=nope", {"request_date_before"}),
    ("request_date_after=x&request_date_before=y", {"request_date_after", "request_date_before"}),
    ("created_after=yesterday", {"created_after"}),
])
def test_a_bad_range_bound_is_named_as_sent(world, query, named):
    response = api_client(world.fr_admin).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == named


def test_an_export_names_the_filter_parameter_sent(world):
    response = api_client(world.fr_caseworker).post("/api/v1/exports/", {
        "kind": "cases", "format": "json", "filters": {"request_date_after": "nope"},
    }, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["filters.request_date_after"]


@pytest.mark.parametrize("query", ["binding=2", "binding=null", "binding=yes"])
def test_a_yes_or_no_filter_takes_true_or_false(world, query):
    response = api_client(world.fr_admin).get(f"/api/v1/assurances/?{query}")
    assert response.status_code == 400
    assert list(response.json()) == ["binding"]


@pytest.mark.parametrize("url", ["/api/v1/notifications/?unread=null",
                                 "/api/v1/exports/?mine=perhaps",
                                 "/api/v1/countries/?eu_member=unknown-ish"])
def test_every_yes_or_no_filter_is_strict(world, url):
    assert api_client(world.fr_admin).get(url).status_code == 400


def test_a_yes_or_no_filter_filters(world):
    bound = AssuranceFactory(case=CaseFactory(owner=world.ngo_fr), binding=True)
    AssuranceFactory(case=bound.case, binding=False)
    response = api_client(world.fr_admin).get("/api/v1/assurances/?binding=true")
    assert [a["id"] for a in response.json()["results"]] == [str(bound.pk)]


@pytest.mark.parametrize("ordering", ["subject__full_name", "-notes", "reference,", "nonsense"])
def test_a_sort_the_list_does_not_offer_is_refused(world, ordering):
    CaseFactory(owner=world.ngo_fr, distribution=Distribution.NETWORK, tlp=TLP.GREEN)
    response = api_client(world.it_caseworker).get("/api/v1/cases/", {"ordering": ordering})
    assert response.status_code == 400
    assert list(response.json()) == ["ordering"]
    assert "results" not in response.json()


def test_a_list_without_a_choice_of_sort_takes_only_its_own(world):
    client = api_client(world.fr_caseworker)
    assert client.get("/api/v1/notifications/?ordering=-created_at").status_code == 200
    # Notifications sorted by their text would tell a reader about the rows it cannot see.
    assert client.get("/api/v1/notifications/?ordering=body").status_code == 400


@pytest.mark.parametrize("size", ["0", "-5", "201", "abc", "1.5", "10" * 20])
def test_a_page_size_out_of_range_is_refused(world, size):
    response = api_client(world.fr_admin).get("/api/v1/cases/", {"page_size": size})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("cursor", ["garbage", "cD0yMDI2", "cD14eXo="])
def test_a_cursor_that_cannot_be_read_is_refused(world, cursor):
    response = api_client(world.fr_admin).get(f"/api/v1/cases/?cursor={cursor}")
    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


def test_the_inbox_refuses_unknown_parameters_and_other_organisations(world):
    client = api_client(world.fr_caseworker)
    assert list(client.get("/api/v1/inbox/?sinse=2026-01-01").json()) == ["sinse"]
    response = client.get("/api/v1/inbox/", {"organisation": "ngo-it"})
    assert response.status_code == 400 and list(response.json()) == ["organisation"]
    assert client.get("/api/v1/inbox/", {"organisation": "ngo-fr"}).status_code == 200


@pytest.mark.parametrize("url", LISTS[:-2])
def test_a_list_read_without_filters_builds_no_filter_form_and_filters_when_given_one(
        world, url, monkeypatch):
    """Reading a list by its order, page and format leaves its filters unbuilt (their form is
    a good part of a page's time); any other parameter builds them, and is checked."""
    from cases.filters import StrictFilterSet

    built = []
    init = StrictFilterSet.__init__

    def counted(self, *args, **kwargs):
        built.append(type(self).__name__)
        init(self, *args, **kwargs)

    monkeypatch.setattr(StrictFilterSet, "__init__", counted)
    client = api_client(world.fr_admin)
    assert client.get(url, {"page_size": 5, "format": "json"}).status_code == 200
    assert built == []
    assert client.get(url, {"search": "x"}).status_code == 400


def test_a_filter_sent_alone_still_filters(world):
    CaseFactory(owner=world.ngo_fr, status="judicial_phase")
    wanted = CaseFactory(owner=world.ngo_fr, status="refused")
    client = api_client(world.fr_admin)
    assert len(client.get("/api/v1/cases/").json()["results"]) == 2
    assert [c["id"] for c in client.get("/api/v1/cases/", {"status": "refused"}).json()[
        "results"]] == [str(wanted.pk)]
