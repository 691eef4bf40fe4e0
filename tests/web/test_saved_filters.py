"""Saved searches of the lists: saved under a name by the user alone, kept as the list's own
query (nothing else), run as a link that applies the user's access at that moment, deleted by
their owner alone (anyone else gets a 404), and refused names answered 400 with why."""

from __future__ import annotations

import pytest
from django.http import Http404
from django.urls import reverse

from cases import services
from cases.models import AuditEvent, SavedFilter
from cases.models.sharing import TLP, Distribution

from ..factories import CaseFactory
from .test_web_monitoring import signed_in

PAGES = {
    "cases:saved_filter_create",
    "cases:saved_filter_run",
    "cases:saved_filter_delete",
}
CASES = SavedFilter.Page.CASES


def save(client, *, name="Awaiting a decision", page=CASES, query="status=request_received"):
    return client.post(reverse("cases:saved_filter_create"),
                       {"name": name, "page": page, "query": query})


@pytest.fixture
def awaiting(world):
    """A case of each status the saved search tells apart."""
    return (CaseFactory(owner=world.ngo_fr, status="request_received", reference="FR-A-1"),
            CaseFactory(owner=world.ngo_fr, status="judicial_phase", reference="FR-J-1"))


def test_the_list_offers_to_save_its_search_once_filtered(world):
    client = signed_in(world.fr_caseworker)

    plain = client.get(reverse("cases:case_list")).content.decode()
    filtered = client.get(reverse("cases:case_list"),
                          {"status": "request_received", "sort": "reference", "page": "2"})

    assert "Save this search" not in plain
    body = filtered.content.decode()
    assert "Save this search" in body
    # The page number is no part of a search.
    assert 'name="query" value="status=request_received&amp;sort=reference"' in body


def test_saving_keeps_only_what_the_list_reads_and_is_audited(world):
    client = signed_in(world.fr_caseworker)

    response = save(client, query="status=request_received&sort=reference&page=3&bogus=1"
                                  "&sort=not-a-sort&q=&tlp=amber")

    saved = SavedFilter.objects.get(user=world.fr_caseworker)
    assert saved.query == "status=request_received&tlp=amber"
    assert saved.page == CASES and saved.name == "Awaiting a decision"
    assert response.status_code == 302
    assert response["Location"] == "/cases/?status=request_received&tlp=amber"
    event = AuditEvent.objects.get(action=AuditEvent.Action.CREATE, object_type="savedfilter")
    assert event.actor_id == world.fr_caseworker.pk
    assert event.detail == {"page": "cases"}
    assert "Awaiting" not in event.object_repr and "status" not in event.object_repr


def test_the_list_shows_the_users_own_saved_searches_and_runs_them(world, awaiting):
    mine = SavedFilter.objects.create(user=world.fr_caseworker, page=CASES, name="Mine",
                                      query="status=request_received")
    SavedFilter.objects.create(user=world.fr_admin, page=CASES, name="The admin's",
                               query="status=judicial_phase")
    client = signed_in(world.fr_caseworker)

    body = client.get(reverse("cases:case_list")).content.decode()
    run = client.get(reverse("cases:saved_filter_run", args=[mine.pk]))
    shown = client.get(run["Location"]).content.decode()

    assert "Mine" in body and "The admin&#x27;s" not in body and "The admin's" not in body
    assert run.status_code == 302 and run["Location"] == "/cases/?status=request_received"
    assert "FR-A-1" in shown and "FR-J-1" not in shown


def test_a_saved_search_holds_no_results_running_it_applies_access_now(world):
    shared = CaseFactory(owner=world.ngo_fr, reference="FR-SHARED-1", tlp=TLP.GREEN,
                         distribution=Distribution.SHARING_GROUP, sharing_group=world.fr_de_group)
    saved = SavedFilter.objects.create(user=world.de_caseworker, page=CASES, name="From FR",
                                       query="organisation=ngo-fr")
    client = signed_in(world.de_caseworker)
    url = client.get(reverse("cases:saved_filter_run", args=[saved.pk]))["Location"]
    assert "FR-SHARED-1" in client.get(url).content.decode()

    shared.distribution, shared.sharing_group = Distribution.ORGANISATION, None
    shared.save()

    assert "FR-SHARED-1" not in client.get(url).content.decode()


def test_deleting_a_saved_search(world):
    saved = SavedFilter.objects.create(user=world.fr_caseworker, page=CASES, name="Old",
                                       query="status=request_received")
    client = signed_in(world.fr_caseworker)

    response = client.post(reverse("cases:saved_filter_delete", args=[saved.pk]),
                           {"next": "/cases/?status=request_received"})

    assert response.status_code == 302
    assert response["Location"] == "/cases/?status=request_received"
    assert not SavedFilter.objects.exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.DELETE, object_type="savedfilter")
    assert event.object_id == str(saved.pk) and event.detail == {"page": "cases"}
    assert client.get(reverse("cases:saved_filter_delete", args=[saved.pk])).status_code == 405


@pytest.mark.parametrize("who", ["fr_admin", "de_caseworker", "it_caseworker"])
def test_another_users_saved_search_is_not_found(world, who):
    saved = SavedFilter.objects.create(user=world.fr_caseworker, page=CASES, name="Private",
                                       query="status=request_received")
    client = signed_in(getattr(world, who))

    run = client.get(reverse("cases:saved_filter_run", args=[saved.pk]))
    delete = client.post(reverse("cases:saved_filter_delete", args=[saved.pk]))

    assert (run.status_code, delete.status_code) == (404, 404)
    assert SavedFilter.objects.filter(pk=saved.pk).exists()
    with pytest.raises(Http404):
        services.saved_filter_delete(actor=getattr(world, who), saved_filter=saved)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(world, client, name):
    saved = SavedFilter.objects.create(user=world.fr_caseworker, page=CASES, name="X",
                                       query="status=request_received")
    url = reverse(name, args=[] if name == "cases:saved_filter_create" else [saved.pk])
    method = client.get if name == "cases:saved_filter_run" else client.post

    response = method(url)

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SavedFilter.objects.filter(pk=saved.pk).exists()


@pytest.mark.parametrize(("name", "message"), [
    ("", "Give the search a name."),
    ("   ", "Give the search a name."),
    ("x" * 101, "A name has at most 100 characters."),
    ("Taken", "You already have a search of this page with this name."),
])
def test_a_refused_name_is_a_400_saying_why(world, name, message):
    SavedFilter.objects.create(user=world.fr_caseworker, page=CASES, name="Taken",
                               query="status=judicial_phase")
    client = signed_in(world.fr_caseworker)

    response = save(client, name=name)

    assert response.status_code == 400
    body = response.content.decode()
    assert message in body and 'href="#id_name"' in body
    assert SavedFilter.objects.count() == 1


def test_the_same_name_may_serve_another_user_or_another_list(world):
    SavedFilter.objects.create(user=world.fr_admin, page=CASES, name="Taken",
                               query="status=judicial_phase")
    client = signed_in(world.fr_caseworker)

    assert save(client, name="Taken").status_code == 302
    assert save(client, name="Taken", page=SavedFilter.Page.FOLLOW_UPS,
                query="status=scheduled").status_code == 302
    assert SavedFilter.objects.filter(name="Taken").count() == 3


@pytest.mark.parametrize(("page", "query", "message"), [
    (CASES, "bogus=1&page=2", "Choose at least one filter before saving the search."),
    ("elsewhere", "status=request_received", "Searches of this page cannot be saved."),
    (CASES, "q=" + "a" * 2100, "This search is too long to save."),
])
def test_a_search_with_nothing_to_keep_is_refused(world, page, query, message):
    response = save(signed_in(world.fr_caseworker), page=page, query=query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SavedFilter.objects.exists()


@pytest.mark.parametrize(("page", "list_name", "query", "kept"), [
    (SavedFilter.Page.FOLLOW_UPS, "monitoring:follow_up_list",
     "status=scheduled&sort=-due&mine=true&assignee=someone&page=2",
     "status=scheduled&sort=-due&mine=true"),
    (SavedFilter.Page.FINDINGS, "monitoring:inbox", "since=2026-01-01&page=2&outcome=x",
     "since=2026-01-01"),
])
def test_the_follow_ups_and_the_findings_shared_with_us_save_theirs_too(world, page,
                                                                         list_name, query,
                                                                         kept):
    client = signed_in(world.fr_caseworker)
    listed = client.get(reverse(list_name) + "?" + query)
    assert listed.status_code == 200
    assert f'name="query" value="{kept.replace("&", "&amp;")}"' in listed.content.decode()

    response = save(client, name="Weekly", page=page, query=query)

    saved = SavedFilter.objects.get(user=world.fr_caseworker, page=page)
    assert saved.query == kept
    assert response["Location"] == f"{reverse(list_name)}?{kept}"
    body = client.get(response["Location"]).content.decode()
    assert "Weekly" in body and reverse("cases:saved_filter_run", args=[saved.pk]) in body
