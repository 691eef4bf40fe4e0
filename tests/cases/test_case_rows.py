"""The cases list writes its rows without CaseSerializer (cases/api/case_rows.py): the rows
must be exactly what the serializer gives the same caller, field for field and in the same
order, whoever asks."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from cases.api.serializers import CaseSerializer
from cases.models import Case, LegalInstrument, Offence, SubjectNationality
from cases.models.sharing import TLP, Distribution
from cases.selectors import case_prefetches

from ..conftest import api_client
from ..factories import CaseFactory, ProceedingFactory, SubjectFactory, country
from ..rows_support import EVERY_CALLER, assert_list_is_the_serializers, serialized

pytestmark = pytest.mark.django_db
User = get_user_model()


def _varied_cases(world):
    """Cases of every shape the rows distinguish, owned by ngo-fr and shared in every way."""
    fr = world.ngo_fr
    # Owned only, with named recipients out of alphabetical order and a caseworker.
    own = CaseFactory(owner=fr, reference="R-OWN", caseworker=world.fr_caseworker)
    own.named_recipients.add(world.fr_liaison, world.fr_auditor)
    Offence.objects.create(case=own, description="Fraud in Lyon", category="economic_corruption",
                           max_penalty="Death")
    Offence.objects.create(case=own, description="Bribery", category="economic_corruption")
    # Shared with the FR-DE group, the subject of three nationalities, one lost; one of the two
    # states still owed a consultation was consulted; a legal instrument, dates, closed.
    subject = SubjectFactory(owner=fr, nationalities=["DE", "CN"])
    SubjectNationality.objects.create(subject=subject, country=country("IT"),
                                      lost_on=datetime.date(2020, 1, 1))
    SubjectNationality.objects.create(subject=subject, country=country("AT"))
    grouped = CaseFactory(
        owner=fr, subject=subject, reference="R-GROUP", distribution=Distribution.SHARING_GROUP,
        sharing_group=world.fr_de_group, tlp=TLP.AMBER, legal_instrument=LegalInstrument.objects
        .order_by("pk").first(), request_date=datetime.date(2025, 3, 1),
        arrest_date=datetime.date(2025, 3, 5), status="monitoring_closed",
        closure_reason="released",
        status_changed_on=datetime.date(2025, 9, 1), legal_basis_note="", interpol_reference="",
    )
    Offence.objects.create(case=grouped, description="Murder", category="violent")
    ProceedingFactory(case=grouped, kind="nationality_consultation", consulted_state_id="DE")
    # Network-wide; requested of a state outside the EU and the EEA, so no consultation is owed
    # whatever the nationalities; surrendered, no caseworker.
    network = CaseFactory(
        owner=fr, subject=SubjectFactory(owner=fr, nationalities=["DE"]), reference="R-NET",
        distribution=Distribution.NETWORK, tlp=TLP.GREEN, requested_state=country("CH"),
        status="surrendered", surrender_date=datetime.date(2026, 2, 1),
    )
    # Another owner's case shared network-wide, for the owner's own members to see as partners.
    CaseFactory(owner=world.ministry_de, reference="R-DE", distribution=Distribution.NETWORK,
                tlp=TLP.CLEAR, caseworker=world.de_caseworker)
    # A red case the caller sees only when named.
    red = CaseFactory(owner=fr, reference="R-RED", tlp=TLP.RED)
    red.named_recipients.add(world.fr_liaison)
    return own, grouped, network


def _serialized(user, ids) -> list[dict]:
    """The cases `ids` in this order, as CaseSerializer gives them to `user` (the named
    recipients by username, as the API lists them)."""
    cases = {
        str(case.pk): case
        for case in Case.objects.filter(pk__in=ids)
        .select_related("owner", "subject", "requested_state", "caseworker")
        .prefetch_related(
            "offences",
            Prefetch("named_recipients", queryset=User.objects.order_by("username")),
            *case_prefetches(),
        )
    }
    return serialized(CaseSerializer, user, [cases[pk] for pk in ids])


@EVERY_CALLER
def test_the_list_gives_every_caller_what_the_serializer_gives(world, org, role):
    _varied_cases(world)
    assert_list_is_the_serializers(getattr(world, f"{org}_{role}"), "/api/v1/cases/",
                                   _serialized, ordering="reference")


def test_each_shape_of_case_is_in_the_comparison(world):
    """The comparison above is worth what its cases cover: owner-only fields both shown and
    withheld, a consultation owed with one state recorded, none owed, transitions offered and
    not."""
    _varied_cases(world)
    by_ref = {r["reference"]: r for r in api_client(world.fr_caseworker).get(
        "/api/v1/cases/", {"ordering": "reference"}).json()["results"]}
    assert by_ref["R-OWN"]["named_recipients"] == ["fr_auditor", "fr_liaison"]
    assert by_ref["R-OWN"]["caseworker"] == "fr_caseworker"
    assert [o["description"] for o in by_ref["R-OWN"]["offences"]] == ["Fraud in Lyon", "Bribery"]
    assert by_ref["R-GROUP"]["nationality_consultation"] == {
        "required": True, "states": ["AT", "DE"], "recorded": ["DE"], "missing": ["AT"]}
    assert by_ref["R-NET"]["nationality_consultation"]["required"] is False
    assert by_ref["R-OWN"]["allowed_transitions"]
    assert "R-RED" not in by_ref
    assert by_ref["R-DE"]["allowed_transitions"] == []
    assert set(by_ref["R-DE"]) - {"legal_basis_note", "interpol_reference", "named_recipients",
                                   "caseworker"} == set(by_ref["R-DE"])
    assert by_ref["R-DE"]["offences"] == [] or set(by_ref["R-DE"]["offences"][0]) == {"category"}
    partner = {r["reference"]: r for r in api_client(world.de_liaison).get(
        "/api/v1/cases/").json()["results"]}
    assert set(partner) == {"R-GROUP", "R-NET", "R-DE"}
    assert partner["R-GROUP"]["offences"] == [{"category": "violent"}]
    assert "legal_basis_note" not in partner["R-GROUP"]


def test_the_page_reads_no_subjects_identity(world):
    """A row shows the subject's reference only: the page's own query reads none of the
    subject's sealed identity, for the owner either."""
    _varied_cases(world)
    with CaptureQueriesContext(connection) as queries:
        rows = api_client(world.fr_caseworker).get("/api/v1/cases/").json()["results"]
    assert rows and all(row["subject_reference"] for row in rows)
    page = next(q["sql"] for q in queries.captured_queries if "cases_subject" in q["sql"])
    for sealed in ("full_name", "other_names", "date_of_birth", "contacts", "notes"):
        assert f'"cases_subject"."{sealed}"' not in page
    assert '"cases_subject"."reference"' in page
