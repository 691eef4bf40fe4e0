"""The audit log's hash chain: it verifies after many writes, and a changed column, a deleted
event or a cut-off tail is reported where it happened; the database refuses to change or
delete events and to rewind the chain head."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from cases import audit, services
from cases.audit import verify_chain
from cases.models import AuditChainHead, AuditEvent
from cases.models.cases import CaseStatus

from ..conftest import audit_log_writable
from ..factories import (
    country,
)
from .test_audit_log import (
    audited_records,
)


@pytest.fixture
def rec(world):
    return audited_records(world)


# --- the chain --------------------------------------------------------------------------------


def test_the_chain_verifies_after_many_writes(world):
    subjects = [
        services.subject_create(actor=world.fr_caseworker, full_name=f"Chain Person {n}")
        for n in range(12)
    ]
    for subject in subjects[:6]:
        case = services.case_create(
            actor=world.fr_admin, subject=subject, requesting_state=country("CN"),
            requested_state=country("FR"), channel="extradition",
        )
        services.case_transition(actor=world.fr_liaison, case=case, to=CaseStatus.JUDICIAL_PHASE)
    services.record_personal_data_views(actor=world.fr_caseworker, subjects=subjects)

    report = verify_chain()

    count = AuditEvent.objects.count()
    assert count == 12 + 6 + 6 + 12
    assert report.ok, report
    assert report.checked == count
    head = AuditChainHead.objects.get(pk=1)
    newest = AuditEvent.objects.order_by("-seq").first()
    assert (head.last_seq, head.last_hash) == (newest.seq, newest.hash)
    first = AuditEvent.objects.order_by("seq").first()
    assert first.seq == 1
    assert first.prev_hash == "0" * 64


def raw(sql: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


@pytest.fixture
def chain(world, rec):
    """Nine events; the fifth is the middle one."""
    for n in range(9):
        audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, rec.case,
                     changed_fields=["legal_basis_note"], detail={"n": n})
    assert verify_chain().ok
    return SimpleNamespace(middle=5, last=9)


def tampered_values(world) -> list:
    return [
        ("action", lambda: AuditEvent.Action.EXPORT),
        ("object_id", lambda: "forged"),
        ("object_type", lambda: "assurance"),
        ("object_repr", lambda: "FR-2026-9999"),
        ("actor_username", lambda: "someone_else"),
        ("actor_id", lambda: world.it_admin.pk),
        ("organisation_id", lambda: world.ngo_it.pk),
        ("changed_fields", lambda: '["status"]'),
        ("detail", lambda: '{"n": 99}'),
        ("request_id", lambda: "forged-request"),
        ("at", lambda: connection.ops.adapt_datetimefield_value(
            timezone.now() - datetime.timedelta(days=400))),
        ("prev_hash", lambda: "f" * 64),
        ("hash", lambda: "e" * 64),
    ]


COLUMNS = ["action", "object_id", "object_type", "object_repr", "actor_username", "actor_id",
           "organisation_id", "changed_fields", "detail", "request_id", "at", "prev_hash", "hash"]


@pytest.mark.parametrize("column", COLUMNS)
def test_changing_one_column_of_a_middle_event_is_reported_at_that_event(world, chain, column):
    value = dict(tampered_values(world))[column]()
    with audit_log_writable():
        raw(f"UPDATE cases_auditevent SET {column} = %s WHERE seq = %s", [value, chain.middle])

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq == chain.middle
    assert report.checked == chain.middle - 1


def test_deleting_a_middle_event_is_reported_as_missing(chain):
    with audit_log_writable():
        raw("DELETE FROM cases_auditevent WHERE seq = %s", [chain.middle])

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq == chain.middle
    assert "missing" in report.reason


def test_cutting_off_the_last_event_is_reported_by_the_chain_head(chain):
    with audit_log_writable():
        raw("DELETE FROM cases_auditevent WHERE seq = %s", [chain.last])

    report = verify_chain()

    assert not report.ok
    assert report.broken_seq == chain.last
    assert "chain head" in report.reason
    assert report.checked == chain.last - 1


def test_the_database_refuses_to_change_or_delete_audit_events(chain, settings):
    # Closed as in production: the test settings open it for Django's flush (SQLite only).
    settings.AUDIT_LOG_WIPE_ALLOWED = False
    attempts = [
        lambda: raw("UPDATE cases_auditevent SET action = 'export' WHERE seq = %s",
                    [chain.middle]),
        lambda: raw("DELETE FROM cases_auditevent WHERE seq = %s", [chain.last]),
        lambda: AuditEvent.objects.filter(seq=chain.middle).update(object_id="forged"),
        lambda: AuditEvent.objects.filter(seq=chain.last).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditEvent.objects.count() == chain.last
    assert verify_chain().ok


def test_the_database_refuses_to_rewind_or_delete_the_chain_head(chain, settings, world):
    settings.AUDIT_LOG_WIPE_ALLOWED = False
    attempts = [
        lambda: raw("UPDATE cases_auditchainhead SET last_seq = last_seq - 1", []),
        lambda: raw("DELETE FROM cases_auditchainhead", []),
        lambda: AuditChainHead.objects.filter(pk=1).delete(),
    ]
    for attempt in attempts:
        with pytest.raises(DatabaseError, match="only moves forward"), transaction.atomic():
            attempt()
    assert verify_chain().ok
    # Appending moves the head forward: allowed.
    audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, None)
    assert AuditChainHead.objects.get(pk=1).last_seq == chain.last + 1
    assert verify_chain().ok
