"""The audit log: every write and every display of personal data leaves one event, and events
hold references only (the hash chain is in test_audit_chain.py, reading the log and sign-ins in
test_audit_reading.py)."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connection
from django.utils import timezone

from cases.audit import verify_chain
from cases.models import AuditEvent, Membership, Subject
from cases.models.sharing import TLP, Distribution

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    ProceedingFactory,
    SharingGroupFactory,
    SubjectFactory,
    UserFactory,
)

PASSWORD = "correct horse battery staple"
# ASCII on purpose: JSON columns store other characters escaped, which a text search would miss.
IDENTITY = {
    "full_name": "Wenhua Fictitious-Zhou",
    "other_names": "Wen Zhou Alias",
    "date_of_birth": "1979-05-06",
    "contacts": "Sister Meilin, +33 6 12 34 56 78",
    "notes": "Fled after the 2019 raid in Lyon",
}


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def last_seq() -> int:
    event = AuditEvent.objects.order_by("-seq").first()
    return event.seq if event else 0


def events_since(seq: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=seq).order_by("seq"))


def personal_data_in_db() -> set[str]:
    """Every identifying value of every subject, as it could appear in text."""
    values = set()
    for subject in Subject.objects.all():
        for name in Subject.IDENTIFYING_FIELDS:
            value = getattr(subject, name)
            if value:
                values.add(value.isoformat() if isinstance(value, datetime.date) else value)
    return values


def audit_rows_as_text() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM cases_auditevent")
        return [" | ".join(str(column) for column in row) for row in cursor.fetchall()]


def audited_records(world):
    """A subject of ngo_fr with identifying data, its case, an assurance and a proceeding."""
    subject = SubjectFactory(owner=world.ngo_fr, **{**IDENTITY, "date_of_birth":
                                                    datetime.date(1979, 5, 6)})
    case = CaseFactory(owner=world.ngo_fr, subject=subject)
    return SimpleNamespace(
        subject=subject,
        case=case,
        assurance=AssuranceFactory(case=case),
        proceeding=ProceedingFactory(case=case),
        newcomer=UserFactory(username="newcomer"),
    )


@pytest.fixture
def rec(world):
    return audited_records(world)


# --- every write through the API -------------------------------------------------------------


@dataclass
class Write:
    """One write through the API and the events it must add, in order.

    `events` gives, for each event, (action, object_type, object_id, changed_fields); `object_id`
    is a function of the response and the records, since created ids are known only after.
    """

    name: str
    actor: str
    call: Callable
    ok: int
    events: Callable


def _id(response) -> str:
    return str(response.json()["id"])


WRITES = [
    Write(
        "subject-create", "fr_caseworker",
        lambda c, r: c.post("/api/v1/subjects/", {**IDENTITY, "full_name": "Another Fictitious",
                                                  "reprisal_risk": True}),
        201,
        lambda resp, r: [
            ("create", "subject", _id(resp),
             sorted([*IDENTITY, "reprisal_risk"])),
            # The response shows the new subject's identifiers.
            ("view_personal_data", "subject", _id(resp), []),
        ],
    ),
    Write(
        "subject-update", "fr_admin",
        lambda c, r: c.patch(f"/api/v1/subjects/{r.subject.pk}/",
                             {"full_name": "Renamed Fictitious", "do_not_contact": True,
                              "notes": IDENTITY["notes"], "version": 1}),
        200,
        lambda resp, r: [
            # `notes` was sent unchanged: only what changed is listed.
            ("update", "subject", str(r.subject.pk), ["do_not_contact", "full_name"]),
            ("view_personal_data", "subject", str(r.subject.pk), []),
        ],
    ),
    Write(
        "subject-update-nationalities", "fr_caseworker",
        lambda c, r: c.patch(f"/api/v1/subjects/{r.subject.pk}/",
                             {"nationalities": [{"country": "CN"}, {"country": "DE"}],
                              "version": 1}),
        200,
        lambda resp, r: [
            ("update", "subject", str(r.subject.pk), ["nationalities"]),
            ("view_personal_data", "subject", str(r.subject.pk), []),
        ],
    ),
    Write(
        "case-create", "fr_caseworker",
        lambda c, r: c.post("/api/v1/cases/", {
            "subject": str(r.subject.pk), "requesting_state": "CN", "requested_state": "FR",
            "channel": "extradition", "request_date": yesterday(),
        }),
        201,
        lambda resp, r: [
            ("create", "case", _id(resp),
             # Whoever opens the case is its caseworker.
             ["caseworker", "channel", "request_date", "requested_state", "requesting_state",
              "subject"]),
        ],
    ),
    Write(
        "case-create-shared", "fr_admin",
        lambda c, r: c.post("/api/v1/cases/", {
            "subject": str(r.subject.pk), "requesting_state": "CN", "requested_state": "FR",
            "channel": "extradition", "distribution": "sharing_group",
            "sharing_group": r.group.pk, "tlp": "amber",
        }),
        201,
        lambda resp, r: [
            ("create", "case", _id(resp),
             ["caseworker", "channel", "distribution", "requested_state", "requesting_state",
              "sharing_group", "subject", "tlp"]),
            ("share", "case", _id(resp), []),
        ],
    ),
    Write(
        "case-update", "fr_caseworker",
        lambda c, r: c.patch(f"/api/v1/cases/{r.case.pk}/",
                             {"legal_basis_note": "Treaty of 2007", "channel": "extradition",
                              "version": 1}),
        200,
        lambda resp, r: [("update", "case", str(r.case.pk), ["legal_basis_note"])],
    ),
    Write(
        "case-update-shares", "fr_caseworker",
        lambda c, r: c.patch(f"/api/v1/cases/{r.case.pk}/",
                             {"distribution": "sharing_group", "sharing_group": r.group.pk,
                              "version": 1}),
        200,
        lambda resp, r: [
            ("update", "case", str(r.case.pk), ["distribution", "sharing_group"]),
            ("share", "case", str(r.case.pk), []),
        ],
    ),
    Write(
        "case-transition", "fr_liaison",
        lambda c, r: c.post(f"/api/v1/cases/{r.case.pk}/transition/",
                            {"to": "judicial_phase", "date": yesterday(),
                             "note": f"Hearing set for {IDENTITY['full_name']}"}),
        200,
        lambda resp, r: [("transition", "case", str(r.case.pk), ["status", "status_changed_on"])],
    ),
    Write(
        "assurance-create", "fr_caseworker",
        lambda c, r: c.post("/api/v1/assurances/", {
            "case": str(r.case.pk), "type": "fair_trial",
            "verbatim_text": f"{IDENTITY['full_name']} will have a fair trial.",
            "form": "diplomatic_note", "issuer": "Ministry", "issuer_level": "central_government",
        }),
        201,
        lambda resp, r: [
            ("create", "assurance", _id(resp),
             ["form", "issuer", "issuer_level", "type", "verbatim_text"]),
        ],
    ),
    Write(
        "assurance-update", "fr_caseworker",
        lambda c, r: c.patch(f"/api/v1/assurances/{r.assurance.pk}/",
                             {"issuer": "Embassy in Paris", "version": 1}),
        200,
        lambda resp, r: [("update", "assurance", str(r.assurance.pk), ["issuer"])],
    ),
    Write(
        "assurance-delete", "fr_admin",
        lambda c, r: c.delete(f"/api/v1/assurances/{r.assurance.pk}/"),
        204,
        lambda resp, r: [("delete", "assurance", str(r.assurance.pk), [])],
    ),
    Write(
        "proceeding-create", "fr_liaison",
        lambda c, r: c.post("/api/v1/proceedings/", {
            "case": str(r.case.pk), "kind": "hearing", "date": yesterday(),
            "authority": "Cour d'appel de Lyon",
            "description": f"{IDENTITY['full_name']} heard; {IDENTITY['contacts']} present",
        }),
        201,
        lambda resp, r: [("create", "proceedingevent", _id(resp),
                          ["authority", "date", "description", "kind"])],
    ),
    Write(
        "proceeding-update", "fr_liaison",
        lambda c, r: c.patch(f"/api/v1/proceedings/{r.proceeding.pk}/",
                             {"outcome": "Adjourned", "version": 1}),
        200,
        lambda resp, r: [("update", "proceedingevent", str(r.proceeding.pk), ["outcome"])],
    ),
    Write(
        "proceeding-delete", "fr_caseworker",
        lambda c, r: c.delete(f"/api/v1/proceedings/{r.proceeding.pk}/"),
        204,
        lambda resp, r: [("delete", "proceedingevent", str(r.proceeding.pk), [])],
    ),
    Write(
        "sharing-group-create", "fr_admin",
        lambda c, r: c.post("/api/v1/sharing-groups/", {"name": "FR-IT", "members": ["ngo-it"]}),
        201,
        lambda resp, r: [
            ("create", "sharinggroup", _id(resp), []),
            ("share", "sharinggroup", _id(resp), []),
        ],
    ),
    Write(
        "sharing-group-update", "fr_admin",
        lambda c, r: c.patch(f"/api/v1/sharing-groups/{r.group.pk}/",
                             {"name": "FR-DE renamed", "version": 1}),
        200,
        lambda resp, r: [("update", "sharinggroup", str(r.group.pk), ["name"])],
    ),
    Write(
        "sharing-group-members", "fr_admin",
        lambda c, r: c.patch(f"/api/v1/sharing-groups/{r.group.pk}/",
                             {"members": ["ngo-it"], "version": 1}),
        200,
        lambda resp, r: [
            ("share", "sharinggroup", str(r.group.pk), []),
            ("withdraw", "sharinggroup", str(r.group.pk), []),
            ("update", "sharinggroup", str(r.group.pk), ["members"]),
        ],
    ),
    Write(
        "sharing-group-delete", "fr_admin",
        lambda c, r: c.delete(f"/api/v1/sharing-groups/{r.group.pk}/"),
        204,
        lambda resp, r: [("delete", "sharinggroup", str(r.group.pk), [])],
    ),
    Write(
        "membership-create", "fr_admin",
        lambda c, r: c.post("/api/v1/memberships/",
                            {"organisation": "ngo-fr", "user": "newcomer", "role": "liaison"}),
        201,
        lambda resp, r: [("permission_change", "membership", _id(resp), [])],
    ),
    Write(
        "membership-update", "fr_admin",
        lambda c, r: c.patch(f"/api/v1/memberships/{r.membership.pk}/",
                             {"role": "auditor", "version": 1}),
        200,
        lambda resp, r: [("permission_change", "membership", str(r.membership.pk), ["role"])],
    ),
    Write(
        "membership-delete", "fr_admin",
        lambda c, r: c.delete(f"/api/v1/memberships/{r.membership.pk}/"),
        204,
        lambda resp, r: [("permission_change", "membership", str(r.membership.pk), [])],
    ),
]


@pytest.fixture
def writable(world, rec):
    # Its own group and member, so that changing them leaves the world intact.
    rec.group = SharingGroupFactory(name="FR-DE-2", owner=world.ngo_fr, members=[world.ministry_de])
    rec.membership = Membership.objects.create(
        user=UserFactory(username="colleague"), organisation=world.ngo_fr,
        role=Membership.Role.LIAISON,
    )
    return rec


@pytest.mark.parametrize("write", WRITES, ids=[w.name for w in WRITES])
def test_every_api_write_adds_its_audit_event_without_personal_data(world, writable, write):
    actor = getattr(world, write.actor)
    before = last_seq()

    response = write.call(api_client(actor), writable)

    assert response.status_code == write.ok, response.content
    added = events_since(before)
    assert [(e.action, e.object_type, e.object_id, e.changed_fields) for e in added] == (
        write.events(response, writable)
    )
    for event in added:
        assert event.actor_id == actor.pk
        assert event.actor_username == actor.username
        assert event.organisation_id == world.ngo_fr.pk
        assert event.request_id
    assert verify_chain().ok
    # No identifying value of any subject, old or new, in any column of any event.
    secrets = personal_data_in_db()
    assert IDENTITY["contacts"] in secrets
    assert [(s, row) for row in audit_rows_as_text() for s in secrets if s in row] == []


def test_searching_and_reading_subjects_by_name_leaves_no_name_in_the_log(world, rec):
    client = api_client(world.fr_caseworker)
    before = last_seq()
    found = client.get("/api/v1/subjects/", {"q": IDENTITY["full_name"]})
    cases = client.get("/api/v1/cases/", {"q": IDENTITY["full_name"]})
    opened = client.get(f"/api/v1/subjects/{rec.subject.pk}/")

    assert [row["id"] for row in found.json()["results"]] == [str(rec.subject.pk)]
    assert [row["id"] for row in cases.json()["results"]] == [str(rec.case.pk)]
    assert opened.status_code == 200
    assert [e.action for e in events_since(before)] == ["view_personal_data"] * 2
    secrets = personal_data_in_db()
    assert [(s, row) for row in audit_rows_as_text() for s in secrets if s in row] == []


def test_an_event_carries_the_request_id_the_caller_sent(world, rec):
    before = last_seq()
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/assurances/{rec.assurance.pk}/", {"issuer": "Embassy", "version": 1},
        HTTP_X_REQUEST_ID="trace-0123456789",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "trace-0123456789"
    [event] = events_since(before)
    assert event.request_id == "trace-0123456789"


def test_a_refused_write_adds_no_event(world, rec):
    before = last_seq()
    response = api_client(world.fr_auditor).patch(
        f"/api/v1/assurances/{rec.assurance.pk}/", {"issuer": "Embassy", "version": 1}
    )
    assert response.status_code == 403
    stale = api_client(world.fr_caseworker).patch(
        f"/api/v1/assurances/{rec.assurance.pk}/", {"issuer": "Embassy", "version": 7}
    )
    assert stale.status_code == 409
    assert events_since(before) == []


# --- views of personal data -------------------------------------------------------------------

IDENTIFIER_VIEWERS = ["fr_caseworker", "fr_liaison", "fr_admin"]
NO_IDENTIFIERS = ["fr_auditor", "de_caseworker", "de_liaison", "de_auditor", "de_admin"]


@pytest.fixture
def three_subjects(world):
    """Three subjects of ngo_fr, each in a case shared with ministry_de; one of ministry_de."""
    subjects = []
    for n in range(3):
        subject = SubjectFactory(owner=world.ngo_fr, full_name=f"Fictional Viewed {n}")
        CaseFactory(owner=world.ngo_fr, subject=subject, distribution=Distribution.SHARING_GROUP,
                    sharing_group=world.fr_de_group, tlp=TLP.AMBER)
        subjects.append(subject)
    SubjectFactory(owner=world.ministry_de, full_name="German Side Fictional")
    return subjects


def view_events(since: int) -> list[AuditEvent]:
    return [e for e in events_since(since) if e.action == AuditEvent.Action.VIEW_PERSONAL_DATA]


@pytest.mark.parametrize("who", IDENTIFIER_VIEWERS)
def test_the_owner_listing_subjects_writes_one_view_event_per_subject_shown(
    world, three_subjects, who
):
    user = getattr(world, who)
    before = last_seq()

    response = api_client(user).get("/api/v1/subjects/")

    assert response.status_code == 200
    shown = [row for row in response.json()["results"] if "full_name" in row]
    assert len(shown) == 3
    added = events_since(before)
    assert all(e.action == AuditEvent.Action.VIEW_PERSONAL_DATA for e in added)
    assert sorted(e.object_id for e in added) == sorted(str(s.pk) for s in three_subjects)
    assert {(e.actor_id, e.organisation_id, e.object_type) for e in added} == {
        (user.pk, world.ngo_fr.pk, "subject")
    }


@pytest.mark.parametrize("who", IDENTIFIER_VIEWERS)
def test_the_owner_opening_a_subject_writes_one_view_event(world, three_subjects, who):
    user = getattr(world, who)
    subject = three_subjects[1]
    before = last_seq()

    response = api_client(user).get(f"/api/v1/subjects/{subject.pk}/")

    assert response.status_code == 200
    assert response.json()["full_name"] == subject.full_name
    [event] = events_since(before)
    assert (event.action, event.object_id, event.actor_id) == (
        AuditEvent.Action.VIEW_PERSONAL_DATA, str(subject.pk), user.pk
    )


def test_only_the_subjects_on_the_page_count_as_viewed(world, three_subjects):
    before = last_seq()
    response = api_client(world.fr_caseworker).get("/api/v1/subjects/?page_size=2")
    assert response.status_code == 200
    shown = {row["id"] for row in response.json()["results"]}
    assert len(shown) == 2
    assert {e.object_id for e in view_events(before)} == shown
    assert len(view_events(before)) == 2


@pytest.mark.parametrize("who", NO_IDENTIFIERS)
def test_reads_without_identifiers_write_no_view_event(world, three_subjects, who):
    user = getattr(world, who)
    before = last_seq()

    listed = api_client(user).get("/api/v1/subjects/")
    opened = api_client(user).get(f"/api/v1/subjects/{three_subjects[0].pk}/")

    assert listed.status_code == opened.status_code == 200
    fr_rows = [row for row in listed.json()["results"] if row["owner"] == "ngo-fr"]
    assert len(fr_rows) == 3
    assert all("full_name" not in row for row in fr_rows)
    assert "full_name" not in opened.json()
    # Only a partner's own subjects (shown with identifiers) are logged as viewed.
    own_shown = {row["id"] for row in listed.json()["results"] if "full_name" in row}
    assert {e.object_id for e in events_since(before)} == own_shown
    assert not own_shown & {str(s.pk) for s in three_subjects}


def test_a_hidden_subject_writes_no_view_event(world, three_subjects):
    before = last_seq()
    response = api_client(world.it_caseworker).get(f"/api/v1/subjects/{three_subjects[0].pk}/")
    assert response.status_code == 404
    # The refusal is audited; no personal data was shown, so no view is.
    assert [e.action for e in events_since(before)] == ["access_denied"]
