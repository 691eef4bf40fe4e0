"""Two holes outside testing found in row-level access: the person behind a TLP:RED case was
readable by colleagues not named on it, and a request for a record one may not see left no
trace. A refusal stays a 404 (as for a record that does not exist) and is audited, at most once
per caller and record in a window, so that a scanner cannot flood the log."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import AuditEvent
from cases.models.sharing import TLP

from ..conftest import api_client
from ..factories import CaseFactory, SubjectFactory

pytestmark = pytest.mark.django_db

DENIED = AuditEvent.Action.ACCESS_DENIED


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def denials(**filters):
    return AuditEvent.objects.filter(action=DENIED, **filters)


# --- the person behind a RED case --------------------------------------------------------------


@pytest.fixture
def red(world):
    """A subject whose only case is RED, named to the French caseworker alone."""
    subject = SubjectFactory(owner=world.ngo_fr, full_name="Hidden Person", notes="Safe house")
    case = CaseFactory(owner=world.ngo_fr, subject=subject, tlp=TLP.RED)
    case.named_recipients.add(world.fr_caseworker)
    return subject


@pytest.mark.parametrize("role", ["liaison", "admin", "auditor"])
def test_a_subject_of_red_cases_only_is_hidden_from_colleagues_not_named(world, red, role):
    user = getattr(world, f"fr_{role}")
    client = api_client(user)
    assert client.get(f"/api/v1/subjects/{red.pk}/").status_code == 404
    listed = client.get("/api/v1/subjects/").json()["results"]
    assert str(red.pk) not in {row["id"] for row in listed}
    assert client.get("/api/v1/subjects/", {"q": "Hidden"}).json()["results"] == []
    assert client.get("/api/v1/cases/", {"subject": str(red.pk)}).status_code == 400
    web = signed_in(user)
    assert web.get(reverse("cases:subject_detail", args=[red.pk])).status_code == 404
    options = web.get(reverse("cases:subject_options"), {"subject": red.reference[:8]})
    assert red.reference not in options.content.decode()


def test_the_named_people_see_the_subject_of_a_red_case(world, red):
    named = api_client(world.fr_caseworker).get(f"/api/v1/subjects/{red.pk}/")
    assert named.status_code == 200 and named.json()["full_name"] == "Hidden Person"
    red.cases.get().named_recipients.add(world.fr_liaison)
    seen = api_client(world.fr_liaison).get(f"/api/v1/subjects/{red.pk}/")
    assert seen.status_code == 200 and seen.json()["notes"] == "Safe house"


def test_a_subject_is_seen_through_any_case_the_reader_may_see(world, red):
    # A second case of the same person, not RED: the colleague sees the person through it.
    CaseFactory(owner=world.ngo_fr, subject=red, tlp=TLP.AMBER)
    seen = api_client(world.fr_liaison).get(f"/api/v1/subjects/{red.pk}/")
    assert seen.status_code == 200 and seen.json()["full_name"] == "Hidden Person"


def test_a_subject_without_a_case_yet_is_seen_by_the_owners_members(world):
    subject = SubjectFactory(owner=world.ngo_fr)
    assert api_client(world.fr_liaison).get(f"/api/v1/subjects/{subject.pk}/").status_code == 200
    assert api_client(world.de_liaison).get(f"/api/v1/subjects/{subject.pk}/").status_code == 404


# --- a refusal leaves a trace ------------------------------------------------------------------


def test_a_request_for_a_record_one_may_not_see_is_audited_once(world):
    case = CaseFactory(owner=world.ngo_fr)
    client = api_client(world.it_caseworker)
    for _ in range(3):
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    event = denials().get()
    assert event.actor_id == world.it_caseworker.pk
    assert (event.object_type, event.object_id) == ("case", str(case.pk))
    # Written into the log of the organisation whose record was asked for.
    assert event.organisation_id == world.ngo_fr.pk
    assert event.detail == {"kind": "case"}
    # Another record, or another caller, is another event.
    client.get(f"/api/v1/subjects/{case.subject_id}/")
    api_client(world.de_caseworker).get(f"/api/v1/cases/{case.pk}/")
    assert denials().count() == 3


def test_a_record_that_does_not_exist_leaves_no_denial(world):
    client = api_client(world.it_caseworker)
    assert client.get(f"/api/v1/cases/{uuid.uuid4()}/").status_code == 404
    assert client.get("/api/v1/memberships/999999/").status_code == 404
    assert not denials().exists()


def test_pages_and_actions_are_audited_alike(world):
    case = CaseFactory(owner=world.ngo_fr)
    assert signed_in(world.it_admin).get(
        reverse("cases:case_detail", args=[case.pk])).status_code == 404
    assert api_client(world.it_admin).get(
        f"/api/v1/cases/{case.pk}/compliance/").status_code == 404
    assert denials(actor=world.it_admin).count() == 1  # the same record: once


def test_a_colleague_not_named_on_a_red_case_leaves_a_trace(world, red):
    case = red.cases.get()
    assert api_client(world.fr_liaison).get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert denials(actor=world.fr_liaison, organisation=world.ngo_fr).count() == 1


def test_a_scanner_cannot_flood_the_log(world, settings):
    settings.ACCESS_DENIED_AUDIT_MAX = 3
    cases = [CaseFactory(owner=world.ngo_fr) for _ in range(5)]
    client = api_client(world.it_caseworker)
    for case in cases:
        assert client.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert denials().count() == 3
