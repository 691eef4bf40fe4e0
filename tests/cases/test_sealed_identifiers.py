"""Identifiers encrypted at rest: no plaintext in the database, keys that rotate, names found
through the keyed index, and no query that silently compares ciphertext."""

from __future__ import annotations

import base64
import io
import os

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection, transaction

from cases import crypto, keyring, name_index
from cases.checks import data_keys_unwrappable
from cases.models import Case, DataKey, Subject
from cases.services import subject_update

from ..conftest import api_client
from ..factories import CaseFactory, SubjectFactory

NAME = "Zhou Planted-Sealname"


def _raw(table: str, column: str, pk) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s",
                       [pk.hex if connection.vendor == "sqlite" else pk])
        return cursor.fetchone()[0]


def _all_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return repr(cursor.fetchall())


def _new_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


@pytest.fixture
def person(world):
    subject = SubjectFactory(owner=world.ngo_fr, full_name=NAME, other_names="Li Sealalias",
                             contacts="Sister: +33 1 23 45 67 89", notes="Planted sealnote")
    subject.date_of_birth = "1970-05-17"
    subject.save()
    case = CaseFactory(owner=world.ngo_fr, subject=subject,
                       interpol_reference="RN-SEALED-77", legal_basis_note="Planted basisnote")
    return subject, case


def test_a_raw_read_of_the_tables_holds_no_identifier(person):
    subject, case = person
    subjects, cases = _all_text("cases_subject"), _all_text("cases_case")
    for planted in ("Sealname", "Sealalias", "23 45 67", "sealnote", "1970-05-17"):
        assert planted not in subjects
    for planted in ("RN-SEALED", "basisnote"):
        assert planted not in cases
    assert _raw("cases_subject", "full_name", subject.pk).startswith(crypto.PREFIX)
    # The application reads them back as they were given.
    fresh = Subject.objects.get(pk=subject.pk)
    assert fresh.full_name == NAME and str(fresh.date_of_birth) == "1970-05-17"
    assert Case.objects.get(pk=case.pk).interpol_reference == "RN-SEALED-77"


def test_a_sealed_value_moved_to_another_column_or_subject_does_not_open(person, world):
    subject, _case = person
    other = SubjectFactory(owner=world.ngo_fr)
    stored = _raw("cases_subject", "full_name", subject.pk)
    assert keyring.reveal(stored, "cases.subject.full_name") == NAME
    assert keyring.reveal(stored, "cases.subject.notes") is None
    # Another subject's key does not open it either (its id is in the value).
    other_key = keyring.data_key(other.data_key_id)
    with pytest.raises(crypto.KeyUnavailable):
        crypto.open_sealed(stored, other_key, "cases.subject.full_name")


def test_no_query_compares_ciphertext_and_no_write_skips_sealing(person):
    subject, _case = person
    with pytest.raises(FieldError, match="sealed"):
        list(Subject.objects.filter(full_name__icontains="Zhou"))
    with pytest.raises(FieldError, match="sealed"):
        list(Subject.objects.filter(full_name=NAME))
    assert Subject.objects.filter(pk=subject.pk).exclude(notes="").exists()
    with pytest.raises(ValueError, match="unsealed"), transaction.atomic():
        Subject.objects.filter(pk=subject.pk).update(full_name="Written In Clear")
    assert Subject.objects.get(pk=subject.pk).full_name == NAME


def test_an_update_through_the_service_is_sealed_and_reindexed(person, world):
    subject, _case = person
    subject_update(actor=world.fr_caseworker, subject=subject, version=subject.version,
                   full_name="Renamed Sealperson")
    assert "Sealperson" not in _all_text("cases_subject")
    assert Subject.objects.get(pk=subject.pk).full_name == "Renamed Sealperson"
    assert list(Subject.objects.filter(name_index.matches("renamed sealperson"))) == [subject]
    assert not Subject.objects.filter(name_index.matches(NAME)).exists()


@pytest.mark.parametrize("query", [NAME, "zhou", "PLANTED sealname", "Sealname Zhou",
                                   "Li Sealalias", "sealalias", "Zhóu"])
def test_names_are_found_by_whole_name_and_by_words(person, world, query):
    subject, case = person
    found = api_client(world.fr_caseworker).get("/api/v1/cases/", {"q": query}).json()
    assert [row["id"] for row in found["results"]] == [str(case.pk)]
    subjects = api_client(world.fr_caseworker).get("/api/v1/subjects/", {"q": query}).json()
    assert [row["id"] for row in subjects["results"]] == [str(subject.pk)]


@pytest.mark.parametrize("query", ["Zho", "Sealnam", "Zhou Other"])
def test_a_part_of_a_word_or_a_word_it_lacks_finds_nothing(person, world, query):
    found = api_client(world.fr_caseworker).get("/api/v1/cases/", {"q": query}).json()
    assert found["results"] == []


def test_the_index_holds_keyed_digests_not_names(person):
    subject, _case = person
    digests = _all_text("cases_subjectnamedigest")
    assert "zhou" not in digests.lower() and "sealname" not in digests.lower()
    assert subject.name_digests.count() == len(crypto.subject_digests(NAME, "Li Sealalias"))


def test_keys_rotate_and_the_old_key_can_then_be_removed(person, settings):
    subject, case = person
    old = list(settings.FIELD_ENCRYPTION_KEYS)
    new = _new_key()
    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    newest = crypto.current_kek().id
    assert DataKey.objects.exclude(kek=newest).exists()
    # Without the old key, the check fails and the values cannot be opened.
    settings.FIELD_ENCRYPTION_KEYS = [new]
    errors = data_keys_unwrappable()
    assert [e.id for e in errors] == ["cases.E102"]
    with keyring.scope():
        assert Subject.objects.get(pk=subject.pk).full_name == ""

    settings.FIELD_ENCRYPTION_KEYS = [new, *old]
    call_command("rotate_keys", "--batch-size", "1", stdout=io.StringIO())
    assert set(DataKey.objects.filter(destroyed_at=None).values_list("kek", flat=True)) == {
        newest}
    settings.FIELD_ENCRYPTION_KEYS = [new]
    assert data_keys_unwrappable() == []
    with keyring.scope():
        assert Subject.objects.get(pk=subject.pk).full_name == NAME
        assert Case.objects.get(pk=case.pk).interpol_reference == "RN-SEALED-77"


def test_a_second_rotation_has_nothing_to_do(person):
    call_command("rotate_keys", stdout=io.StringIO())
    before = list(DataKey.objects.values_list("id", "wrapped"))
    call_command("rotate_keys", stdout=io.StringIO())
    assert list(DataKey.objects.values_list("id", "wrapped")) == before


def test_a_list_unwraps_its_keys_in_one_query_whatever_its_length(world):
    from django.test.utils import CaptureQueriesContext

    for i in range(12):
        SubjectFactory(owner=world.ngo_fr, full_name=f"Listed Person {i}")
    with keyring.scope(), CaptureQueriesContext(connection) as ctx:
        names = [s.full_name for s in Subject.objects.all()]
    assert sorted(names) == sorted(f"Listed Person {i}" for i in range(12))
    assert len(ctx.captured_queries) == 2  # the subjects, then their keys


def test_keys_unwrapped_in_a_scope_are_forgotten_with_it_and_a_task_restores_the_scope(world):
    subject = SubjectFactory(owner=world.ngo_fr, full_name="Scoped Person")
    stored = Subject.objects.filter(pk=subject.pk).values_list("full_name", flat=True).get()
    keyring.forget(subject.data_key_id)  # as a fresh process: nothing unwrapped yet
    with keyring.scope():
        request_ring = keyring._ring()
        assert stored.reveal() == "Scoped Person"
        assert subject.data_key_id in request_ring.keys
        # A task run inside the request (eagerly) has its own keyring, then gives it back.
        keyring.begin("task-1")
        assert keyring._ring() is not request_ring
        keyring.end("task-1")
        assert keyring._ring() is request_ring
    assert keyring._ring().keys.get(subject.data_key_id) is None
