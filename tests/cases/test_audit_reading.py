"""The audit log as it is read: each organisation's auditors and admins read their own
organisation's events and nobody else's (another's answers 404), with filters; and sign-ins,
successful or not, written to it without telling whether an account exists."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest

from cases import audit, services
from cases.audit import verify_chain
from cases.models import AuditEvent, Membership

from ..conftest import api_client
from ..factories import totp_code
from .test_audit_log import (
    PASSWORD,
    audited_records,
    events_since,
    last_seq,
)


@pytest.fixture
def rec(world):
    return audited_records(world)


# --- reading the log ---------------------------------------------------------------------------


@pytest.fixture
def logs(world):
    """Events of each organisation, written by its own caseworker."""
    by_org = {}
    for key, org in (("fr", world.ngo_fr), ("de", world.ministry_de), ("it", world.ngo_it)):
        user = getattr(world, f"{key}_caseworker")
        subject = services.subject_create(actor=user, full_name=f"Log Person {key}")
        services.subject_update(actor=user, subject=subject, version=1, reprisal_risk=True)
        by_org[org.slug] = set(
            AuditEvent.objects.filter(organisation=org).values_list("seq", flat=True)
        )
    return by_org


def audit_list(user, query: str = "") -> list[dict]:
    response = api_client(user).get(f"/api/v1/audit-events/?page_size=200{query}")
    assert response.status_code == 200, response.content
    return response.json()["results"]


READERS = [
    ("fr_auditor", "ngo-fr"),
    ("fr_admin", "ngo-fr"),
    ("de_auditor", "ministry-de"),
    ("it_admin", "ngo-it"),
    ("fr_caseworker", None),
    ("fr_liaison", None),
    ("de_caseworker", None),
    ("it_liaison", None),
]


@pytest.mark.parametrize(("who", "organisation"), READERS)
def test_the_log_shows_auditors_and_admins_their_organisations_events_only(
    world, logs, who, organisation
):
    rows = audit_list(getattr(world, who))

    if organisation is None:
        # Caseworkers and liaisons have no audit rights: an empty log, not an error.
        assert rows == []
    else:
        assert {row["seq"] for row in rows} == logs[organisation]
        assert {row["organisation"] for row in rows} == {organisation}


def test_another_organisations_event_answers_404(world, logs):
    own, other = min(logs["ngo-fr"]), min(logs["ministry-de"])
    client = api_client(world.fr_auditor)
    assert client.get(f"/api/v1/audit-events/{own}/").status_code == 200
    assert client.get(f"/api/v1/audit-events/{other}/").status_code == 404
    assert api_client(world.fr_caseworker).get(f"/api/v1/audit-events/{own}/").status_code == 404
    # Naming another organisation in a filter shows nothing of it.
    assert audit_list(world.fr_auditor, "&organisation=ministry-de") == []


def test_a_member_of_two_organisations_reads_the_log_only_where_it_audits(world, logs):
    Membership.objects.create(user=world.de_auditor, organisation=world.ngo_fr,
                              role=Membership.Role.CASEWORKER)
    rows = audit_list(world.de_auditor)
    assert {row["seq"] for row in rows} == logs["ministry-de"]


def test_the_log_can_be_filtered(world, rec):
    moments = [datetime.datetime(2025, m, 10, 12, tzinfo=datetime.UTC) for m in (1, 2, 3)]
    events = []
    for moment, action, obj in zip(
        moments,
        [AuditEvent.Action.UPDATE, AuditEvent.Action.EXPORT, AuditEvent.Action.UPDATE],
        [rec.case, rec.case, rec.assurance],
        strict=True,
    ):
        with mock.patch("cases.audit.timezone.now", return_value=moment):
            events.append(audit.record(world.fr_caseworker, action, obj))
    user = world.fr_auditor

    def seqs(query: str) -> list[int]:
        return sorted(row["seq"] for row in audit_list(user, query))

    assert seqs("&action=export") == [events[1].seq]
    assert seqs("&action=update&action=export") == [e.seq for e in events]
    assert seqs("&object_type=assurance") == [events[2].seq]
    assert seqs(f"&object_id={rec.case.pk}") == [events[0].seq, events[1].seq]
    assert seqs("&at_after=2025-02-01T00:00:00Z&at_before=2025-02-28T00:00:00Z") == [
        events[1].seq
    ]
    assert seqs("&at_after=2025-02-11T00:00:00Z") == [events[2].seq]
    assert seqs("&at_before=2025-01-31T00:00:00Z") == [events[0].seq]
    assert seqs("&actor=fr_caseworker&action=update") == [events[0].seq, events[2].seq]


# --- sign-in ----------------------------------------------------------------------------------


def sign_in(username: str, password: str, otp: str = ""):
    return api_client().post("/api/v1/auth/token/",
                             {"username": username, "password": password, "otp": otp},
                             format="json")


def test_signing_in_writes_a_login_event(world):
    before = last_seq()

    response = sign_in("fr_caseworker", PASSWORD, otp=totp_code(world.fr_caseworker))

    assert response.status_code == 200
    assert response.json()["token"]
    # The sign-in, then the token it made (tests/accounts/test_tokens_api.py).
    event, _token_event = events_since(before)
    assert event.action == AuditEvent.Action.LOGIN
    assert (event.actor_id, event.actor_username) == (world.fr_caseworker.pk, "fr_caseworker")


def test_a_failed_sign_in_is_logged_and_does_not_tell_whether_the_user_exists(world):
    before = last_seq()

    wrong_password = sign_in("fr_caseworker", "not the password")
    unknown_user = sign_in("nobody_here", "not the password")

    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json()
    assert "token" not in wrong_password.json()
    added = events_since(before)
    # The attempt on a real account goes to its organisation's log; what was typed for no
    # account (it may be a password in the wrong field) is not kept.
    assert [(e.action, e.actor_id, e.organisation_id, e.detail) for e in added] == [
        (AuditEvent.Action.LOGIN_FAILED, None, world.ngo_fr.pk, {"username": "fr_caseworker"}),
        (AuditEvent.Action.LOGIN_FAILED, None, None, {"username": "(no such account)"}),
    ]
    assert verify_chain().ok


def test_an_inactive_user_cannot_sign_in(world):
    world.fr_caseworker.is_active = False
    world.fr_caseworker.save()

    response = sign_in("fr_caseworker", PASSWORD)

    assert response.status_code == 400
    assert response.json() == sign_in("nobody_here", "x").json()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LOGIN).count() == 0
