"""The web forms of a case's records: subjects created and edited, a case's assurances and
proceedings added, edited and deleted, and what the forms do with bad input and stale versions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases import name_index, services
from cases.models import (
    Assurance,
    ProceedingEvent,
    Subject,
)

from .test_web_cases import (
    days_ago,
    shared_case,
    signed_in,
    snapshot,
    url_of,
    views_recorded,
)


@pytest.fixture
def shared(world):
    return shared_case(world)


# --- subjects ----------------------------------------------------------------------------


def subject_data(**changes) -> dict:
    data = {"full_name": "New Fictional Person", "other_names": "", "date_of_birth":
            "1980-05-01", "contacts": "", "notes": "", "refugee_status": "none",
            "protection_state": "", "nationality-0-country": "CN",
            "nationality-0-acquired_on": "", "nationality-0-lost_on": "",
            "nationality-1-country": "DE", "nationality-1-acquired_on": "2001-01-01"}
    data.update(changes)
    return data


def test_a_caseworker_creates_and_edits_a_subject(world):
    client = signed_in(world.fr_caseworker)
    response = client.post(reverse("cases:subject_create"), subject_data(reprisal_risk="on"))
    assert response.status_code == 302
    subject = Subject.objects.get(name_index.matches("New Fictional Person"))
    assert subject.owner == world.ngo_fr and subject.reprisal_risk
    assert sorted(subject.nationalities.values_list("country_id", flat=True)) == ["CN", "DE"]
    url = reverse("cases:subject_edit", kwargs={"pk": subject.pk})
    form = client.get(url).content.decode()
    assert 'value="New Fictional Person"' in form and 'value="2001-01-01"' in form
    assert views_recorded(subject) == 1
    response = client.post(url, subject_data(full_name="Renamed Person", version=1,
                                             **{"nationality-1-country": "",
                                                "nationality-1-acquired_on": ""}))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.full_name == "Renamed Person" and not subject.reprisal_risk
    assert list(subject.nationalities.values_list("country_id", flat=True)) == ["CN"]


@pytest.mark.parametrize(("field", "bad"), [
    ("full_name", {"full_name": ""}),
    ("full_name", {"full_name": "a\x00b"}),
    ("date_of_birth", {"date_of_birth": "1980-02-30"}),
    ("date_of_birth", {"date_of_birth": "2999-01-01"}),
    ("refugee_status", {"refugee_status": "pirate"}),
    ("protection_state", {"protection_state": "XX"}),
    ("nationality-0-country", {"nationality-0-country": "Q\x00"}),
    ("nationality-1-acquired_on", {"nationality-1-acquired_on": "soon"}),
    ("nationality-2-country", {"nationality-2-acquired_on": "2000-01-01"}),
])
def test_bad_subject_input_is_a_400_next_to_the_field(world, field, bad):
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(reverse("cases:subject_create"),
                                                    subject_data(**bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    if field != "full_name":
        assert 'value="New Fictional Person"' in page
    assert snapshot() == before


def test_a_nationality_listed_twice_is_refused_with_the_rows(world):
    response = signed_in(world.fr_caseworker).post(reverse("cases:subject_create"),
                                                    subject_data(**{"nationality-1-country":
                                                                    "CN",
                                                                    "nationality-1-acquired_on":
                                                                    ""}))
    assert response.status_code == 400
    assert "listed twice" in response.content.decode()
    assert not Subject.objects.filter(name_index.matches("New Fictional Person")).exists()


def test_a_stale_subject_edit_is_a_conflict(world, shared):
    url = url_of("subject_edit", shared)
    services.subject_update(actor=world.fr_admin, subject=shared.subject,
                            version=shared.subject.version, full_name="Changed Elsewhere")
    response = signed_in(world.fr_caseworker).post(url, subject_data(version=1))
    assert response.status_code == 409
    assert "Changed Elsewhere" in response.content.decode()
    assert Subject.objects.get(pk=shared.subject.pk).full_name == "Changed Elsewhere"


# --- assurances and proceedings ----------------------------------------------------------


ASSURANCE = {"type": "fair_trial", "death_penalty_scope": "", "verbatim_text": "A fair trial.",
             "form": "diplomatic_note", "binding": "unknown", "issuer": "Embassy",
             "issuer_level": "embassy", "given_on": "", "disclosed_to_court": "true",
             "monitoring_who": "", "monitoring_frequency_days": "30",
             "monitoring_private": "unknown", "monitoring_unannounced": "unknown",
             "monitoring_terms": ""}


def test_assurances_are_added_edited_and_deleted(world, shared):
    client = signed_in(world.fr_caseworker)
    response = client.post(url_of("assurance_create", shared), ASSURANCE)
    assert response.status_code == 302
    assurance = Assurance.objects.get(case=shared.case, type="fair_trial")
    assert assurance.disclosed_to_court is True and assurance.binding is None
    edit = reverse("cases:assurance_edit", kwargs={"pk": assurance.pk})
    assert 'value="A fair trial."' not in client.get(edit).content.decode()  # a textarea
    response = client.post(edit, {**ASSURANCE, "issuer": "Ministry", "version": 1})
    assert response.status_code == 302
    assert Assurance.objects.get(pk=assurance.pk).issuer == "Ministry"
    response = client.post(edit, {**ASSURANCE, "issuer": "Stale", "version": 1})
    assert response.status_code == 409 and "Ministry" in response.content.decode()
    delete = reverse("cases:assurance_delete", kwargs={"pk": assurance.pk})
    assert b'class="danger"' in client.get(delete).content
    assert client.post(delete).status_code == 302
    assert not Assurance.objects.filter(pk=assurance.pk).exists()


@pytest.mark.parametrize(("field", "bad"), [
    ("type", {"type": "pinky_promise"}),
    ("death_penalty_scope", {"death_penalty_scope": "not_sought"}),
    ("verbatim_text", {"verbatim_text": ""}),
    ("given_on", {"given_on": "2999-12-31"}),
    ("monitoring_frequency_days", {"monitoring_frequency_days": str(10**30)}),
    ("monitoring_frequency_days", {"monitoring_frequency_days": "-3"}),
    ("form", {"form": "x\x00"}),
    ("issuer", {"issuer": "x" * 301}),
])
def test_bad_assurance_input_is_a_400_next_to_the_field(world, shared, field, bad):
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(url_of("assurance_create", shared),
                                                    {**ASSURANCE, **bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert "A fair trial." in page if field != "verbatim_text" else 'value="Embassy"' in page
    assert snapshot() == before


def test_proceedings_are_added_edited_and_deleted_by_a_liaison(world, shared):
    client = signed_in(world.fr_liaison)
    data = {"kind": "nationality_consultation", "date": days_ago(2).isoformat(),
            "authority": "Ministry", "consulted_state": "DE", "description": "Letter sent",
            "outcome": ""}
    assert client.post(url_of("proceeding_create", shared), data).status_code == 302
    proceeding = ProceedingEvent.objects.get(case=shared.case, kind="nationality_consultation")
    edit = reverse("cases:proceeding_edit", kwargs={"pk": proceeding.pk})
    assert client.post(edit, {**data, "outcome": "Acknowledged", "version": 1}).status_code \
        == 302
    assert ProceedingEvent.objects.get(pk=proceeding.pk).outcome == "Acknowledged"
    delete = reverse("cases:proceeding_delete", kwargs={"pk": proceeding.pk})
    assert client.post(delete).status_code == 302
    assert not ProceedingEvent.objects.filter(pk=proceeding.pk).exists()


@pytest.mark.parametrize(("field", "bad"), [
    ("consulted_state", {"kind": "nationality_consultation", "consulted_state": ""}),
    ("consulted_state", {"consulted_state": "DE"}),
    ("date", {"date": ""}),
    ("date", {"date": "1700-01-01"}),
    ("kind", {"kind": "duel"}),
    ("description", {"description": "\x00"}),
])
def test_bad_proceeding_input_is_a_400_next_to_the_field(world, shared, field, bad):
    data = {"kind": "hearing", "date": days_ago(2).isoformat(), "authority": "Kept court",
            "consulted_state": "", "description": "", "outcome": "", **bad}
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(url_of("proceeding_create", shared), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and 'value="Kept court"' in page
    assert snapshot() == before


def test_delete_pages_answer_get_and_post_only(world, shared):
    client = signed_in(world.fr_caseworker)
    assert client.put(url_of("assurance_delete", shared)).status_code == 405
    assert Assurance.objects.filter(pk=shared.assurance.pk).exists()
