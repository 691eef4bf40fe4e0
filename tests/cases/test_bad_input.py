"""Bad input through the API: always a 400 with a message for the field (never a 500), and
nothing stored changes: bad fields, bodies that are not an object, bad transitions. Bad
references are in test_bad_references.py, odd but legal text in test_odd_text.py."""

from __future__ import annotations

import datetime
import uuid
from types import SimpleNamespace

import pytest
from django.utils import timezone

from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Membership,
    Offence,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)
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
from ..monitoring_helpers import snapshot as stored_rows

HUGE = 10**30
MEGABYTE = "x" * 1_000_000


def today() -> datetime.date:
    return timezone.localdate()


def tomorrow() -> str:
    return (today() + datetime.timedelta(days=1)).isoformat()


STORED = (
    Case,
    Case.named_recipients.through,
    Offence,
    CaseTransition,
    Subject,
    SubjectNationality,
    Assurance,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Membership,
    AuditEvent,
)


def snapshot() -> dict:
    return stored_rows(STORED)


def messages(errors) -> list[str]:
    """Every message in an error value, however nested (lists of dicts for nested rows)."""
    if isinstance(errors, str):
        return [errors]
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in messages(value)]
    if isinstance(errors, list):
        return [m for value in errors for m in messages(value)]
    return []


def assert_field_error(response, field: str, contains: str | None = None) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    body = response.json()
    assert field in body, body
    found = messages(body[field])
    assert found and all(m.strip() for m in found), body
    if contains is not None:
        assert any(contains in m for m in found), body


def records(world) -> SimpleNamespace:
    """ngo_fr's case with its subject, assurance and proceeding; ngo_it's records beside."""
    subject = SubjectFactory(owner=world.ngo_fr, full_name="Original Name")
    case = CaseFactory(
        owner=world.ngo_fr, subject=subject, request_date=datetime.date(2026, 3, 1),
        interpol_reference="A-1/2026",
    )
    it_subject = SubjectFactory(owner=world.ngo_it, full_name="Italian Subject")
    return SimpleNamespace(
        world=world,
        subject=subject,
        case=case,
        assurance=AssuranceFactory(case=case),
        proceeding=ProceedingFactory(case=case, date=datetime.date(2026, 3, 5)),
        membership=Membership.objects.get(user=world.fr_caseworker),
        group=world.fr_de_group,
        newcomer=UserFactory(username="newcomer"),
        it_subject=it_subject,
        it_case=CaseFactory(owner=world.ngo_it, subject=it_subject),
        it_group=SharingGroupFactory(owner=world.ngo_it, name="IT only"),
    )


@pytest.fixture
def rec(world):
    return records(world)


# Per endpoint: who writes, a valid body to create, and the record a PATCH goes to.
ENDPOINTS = {
    "cases": SimpleNamespace(
        user="fr_caseworker",
        obj="case",
        body=lambda r: {"subject": str(r.subject.pk), "requesting_state": "CN",
                        "requested_state": "FR", "channel": "extradition"},
    ),
    "subjects": SimpleNamespace(
        user="fr_caseworker", obj="subject", body=lambda r: {"full_name": "New Person"}
    ),
    "assurances": SimpleNamespace(
        user="fr_caseworker",
        obj="assurance",
        body=lambda r: {"case": str(r.case.pk), "type": "fair_trial",
                        "verbatim_text": "A fair trial.", "form": "diplomatic_note",
                        "issuer": "Ministry", "issuer_level": "central_government"},
    ),
    "proceedings": SimpleNamespace(
        user="fr_caseworker",
        obj="proceeding",
        body=lambda r: {"case": str(r.case.pk), "kind": "hearing", "date": "2026-04-01"},
    ),
    "sharing-groups": SimpleNamespace(
        user="fr_admin", obj="group", body=lambda r: {"name": "New group"}
    ),
    "memberships": SimpleNamespace(
        user="fr_admin",
        obj="membership",
        body=lambda r: {"organisation": "ngo-fr", "user": r.newcomer.username,
                        "role": "auditor"},
    ),
}


def write(rec, endpoint: str, method: str, changes: dict):
    spec = ENDPOINTS[endpoint]
    client = api_client(getattr(rec.world, spec.user))
    if method == "post":
        return client.post(f"/api/v1/{endpoint}/", {**spec.body(rec), **changes}, format="json")
    obj = getattr(rec, spec.obj)
    obj.refresh_from_db()
    return client.patch(
        f"/api/v1/{endpoint}/{obj.pk}/", {"version": obj.version, **changes}, format="json"
    )


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_valid_bodies_the_bad_ones_start_from_are_accepted(rec, endpoint, method):
    response = write(rec, endpoint, method, {})
    assert response.status_code == (201 if method == "post" else 200), response.json()


# (endpoint, methods, changes, field the error names, part of the message or None).
# Changes are a dict, or a function of the records for values that depend on them.
BOTH = ("post", "patch")
POST, PATCH = ("post",), ("patch",)
CANNOT_BE_WRITTEN = "cannot be written"
SET_ON_CREATE = "set when the record is created"
UNKNOWN_FIELD = "Unknown field."

BAD = [
    # --- wrong types --------------------------------------------------------------------
    ("cases", BOTH, {"request_date": "not-a-date"}, "request_date", None),
    ("cases", BOTH, {"request_date": 20260101}, "request_date", None),
    ("cases", BOTH, {"request_date": ["2026-01-01"]}, "request_date", None),
    ("cases", BOTH, {"channel": 3}, "channel", None),
    ("cases", BOTH, {"channel": ["extradition"]}, "channel", None),
    ("cases", BOTH, {"tlp": {"label": "amber"}}, "tlp", None),
    ("cases", BOTH, {"requesting_state": 33}, "requesting_state", None),
    ("cases", BOTH, {"requesting_state": ["CN"]}, "requesting_state", None),
    ("cases", BOTH, {"legal_instrument": "first"}, "legal_instrument", None),
    ("cases", BOTH, {"legal_instrument": True}, "legal_instrument", None),
    ("cases", BOTH, {"legal_basis_note": {"text": "x"}}, "legal_basis_note", None),
    ("cases", BOTH, {"offences": {"description": "Fraud", "category": "other"}},
     "offences", None),
    ("cases", BOTH, {"offences": "Fraud"}, "offences", None),
    ("cases", BOTH, {"offences": [["Fraud", "other"]]}, "offences", None),
    ("cases", BOTH, {"offences": ["Fraud"]}, "offences", None),
    ("cases", BOTH, {"named_recipients": "fr_liaison"}, "named_recipients", None),
    ("cases", BOTH, {"named_recipients": {"fr_liaison": True}}, "named_recipients", None),
    ("cases", BOTH, {"named_recipients": [{"username": "fr_liaison"}]},
     "named_recipients", None),
    ("cases", BOTH, {"sharing_group": "FR-DE"}, "sharing_group", None),
    ("subjects", BOTH, {"date_of_birth": "3 April 1971"}, "date_of_birth", None),
    ("subjects", BOTH, {"date_of_birth": 19710403}, "date_of_birth", None),
    ("subjects", BOTH, {"refugee_status": 1}, "refugee_status", None),
    ("subjects", BOTH, {"reprisal_risk": "perhaps"}, "reprisal_risk", None),
    ("subjects", BOTH, {"reprisal_risk": [True]}, "reprisal_risk", None),
    ("subjects", BOTH, {"full_name": ["Given", "Family"]}, "full_name", None),
    ("subjects", BOTH, {"full_name": {"given": "A"}}, "full_name", None),
    ("subjects", BOTH, {"nationalities": {"country": "FR"}}, "nationalities", None),
    ("subjects", BOTH, {"nationalities": "FR"}, "nationalities", None),
    ("subjects", BOTH, {"nationalities": [["FR"]]}, "nationalities", None),
    ("subjects", BOTH, {"nationalities": ["FR"]}, "nationalities", None),
    ("subjects", BOTH, {"nationalities": [{"country": "FR", "acquired_on": "yesterday"}]},
     "nationalities", None),
    ("assurances", BOTH, {"type": 2}, "type", None),
    ("assurances", BOTH, {"binding": "sometimes"}, "binding", None),
    ("assurances", BOTH, {"given_on": 2026}, "given_on", None),
    ("assurances", BOTH, {"monitoring_frequency_days": "weekly"},
     "monitoring_frequency_days", None),
    ("assurances", BOTH, {"monitoring_frequency_days": -7}, "monitoring_frequency_days", None),
    ("assurances", BOTH, {"monitoring_frequency_days": HUGE},
     "monitoring_frequency_days", None),
    ("assurances", BOTH, {"monitoring_frequency_days": 1.5},
     "monitoring_frequency_days", None),
    ("proceedings", BOTH, {"date": ["2026-01-01"]}, "date", None),
    ("proceedings", BOTH, {"kind": None}, "kind", None),
    ("proceedings", BOTH, {"consulted_state": {"code": "DE"}}, "consulted_state", None),
    ("sharing-groups", BOTH, {"members": "ministry-de"}, "members", None),
    ("sharing-groups", BOTH, {"members": {"ministry-de": True}}, "members", None),
    ("sharing-groups", BOTH, {"name": ["A", "B"]}, "name", None),
    ("memberships", BOTH, {"role": ["auditor"]}, "role", None),
    ("memberships", BOTH, {"role": 1}, "role", None),
    ("memberships", POST, {"user": ["newcomer"]}, "user", None),
    # --- unknown choices and references ------------------------------------------------
    ("cases", BOTH, {"channel": "teleportation"}, "channel", None),
    ("cases", BOTH, {"tlp": "purple"}, "tlp", None),
    ("cases", BOTH, {"distribution": "everyone"}, "distribution", None),
    ("cases", BOTH, {"interpol_notice": "green"}, "interpol_notice", None),
    ("cases", BOTH, {"requesting_state": "XX"}, "requesting_state", "XX"),
    ("cases", BOTH, {"requested_state": "FRA"}, "requested_state", None),
    ("cases", BOTH, {"requested_state": ""}, "requested_state", None),
    ("cases", BOTH, {"legal_instrument": 987654}, "legal_instrument", None),
    ("cases", BOTH, {"legal_instrument": -1}, "legal_instrument", None),
    ("cases", BOTH, {"legal_instrument": HUGE}, "legal_instrument", None),
    ("cases", BOTH, {"legal_instrument": str(HUGE)}, "legal_instrument", None),
    ("cases", BOTH, {"offences": [{"description": "Fraud", "category": "embezzlement"}]},
     "offences", None),
    ("cases", BOTH, {"named_recipients": ["nobody_such"]}, "named_recipients", None),
    ("cases", POST, {"status": "judicial_phase"}, "status", None),
    ("cases", POST, {"status": "nonsense"}, "status", None),
    ("subjects", BOTH, {"refugee_status": "stateless"}, "refugee_status", None),
    ("subjects", BOTH, {"protection_state": "ZZ"}, "protection_state", "ZZ"),
    ("subjects", BOTH, {"nationalities": [{"country": "XK1"}]}, "nationalities", None),
    ("assurances", BOTH, {"type": "no_prison"}, "type", None),
    ("assurances", BOTH, {"form": "telepathy"}, "form", None),
    ("assurances", BOTH, {"issuer_level": "village"}, "issuer_level", None),
    ("assurances", BOTH, {"death_penalty_scope": "sometimes"}, "death_penalty_scope", None),
    ("proceedings", BOTH, {"kind": "duel"}, "kind", None),
    ("proceedings", BOTH, {"consulted_state": "QQ"}, "consulted_state", None),
    ("sharing-groups", BOTH, {"members": ["no-such-org"]}, "members", None),
    ("memberships", BOTH, {"role": "emperor"}, "role", None),
    ("memberships", POST, {"organisation": "no-such-org"}, "organisation", None),
    ("memberships", POST, {"user": "nobody_such"}, "user", None),
    # --- impossible dates and dates in the future where refused -------------------------
    ("cases", BOTH, {"request_date": "2026-02-30"}, "request_date", None),
    ("cases", BOTH, {"request_date": "2026-13-01"}, "request_date", None),
    ("cases", BOTH, {"arrest_date": "2026-00-10"}, "arrest_date", None),
    ("cases", BOTH, {"decision_date": "2025-02-29"}, "decision_date", None),
    ("cases", BOTH, {"request_date": "0000-01-01"}, "request_date", None),
    ("cases", BOTH, {"request_date": "1899-12-31"}, "request_date", None),
    ("cases", BOTH, lambda r: {"request_date": tomorrow()}, "request_date", "future"),
    ("cases", BOTH, lambda r: {"surrender_date": tomorrow()}, "surrender_date", "future"),
    ("cases", BOTH, {"request_date": "2026-03-10", "decision_date": "2026-03-01"},
     "decision_date", "before the request"),
    ("cases", BOTH, {"decision_date": "2026-03-10", "surrender_date": "2026-03-05"},
     "surrender_date", "before the decision"),
    ("cases", PATCH, {"decision_date": "2026-02-01"}, "decision_date", "before the request"),
    ("subjects", BOTH, {"date_of_birth": "1971-02-30"}, "date_of_birth", None),
    ("subjects", BOTH, lambda r: {"date_of_birth": tomorrow()}, "date_of_birth", "future"),
    ("subjects", BOTH, lambda r: {"nationalities": [{"country": "FR",
                                                     "acquired_on": tomorrow()}]},
     "nationalities", "future"),
    ("subjects", BOTH, {"nationalities": [{"country": "FR", "acquired_on": "2000-01-01",
                                           "lost_on": "1999-01-01"}]},
     "nationalities", None),
    ("assurances", BOTH, {"given_on": "2026-13-01"}, "given_on", None),
    ("assurances", BOTH, lambda r: {"given_on": tomorrow()}, "given_on", "future"),
    ("proceedings", BOTH, {"date": "2026-02-30"}, "date", None),
    ("proceedings", BOTH, {"date": "9999-01-01"}, "date", None),
    # --- 1 MB strings, for a CharField and a TextField ----------------------------------
    ("cases", BOTH, {"interpol_notice": "red", "interpol_reference": MEGABYTE},
     "interpol_reference", None),
    ("cases", BOTH, {"legal_basis_note": MEGABYTE}, "legal_basis_note", None),
    ("cases", BOTH, {"offences": [{"description": MEGABYTE, "category": "other"}]},
     "offences", None),
    ("subjects", BOTH, {"full_name": MEGABYTE}, "full_name", None),
    ("subjects", BOTH, {"notes": MEGABYTE}, "notes", None),
    ("assurances", BOTH, {"issuer": MEGABYTE}, "issuer", None),
    ("assurances", BOTH, {"verbatim_text": MEGABYTE}, "verbatim_text", None),
    ("proceedings", BOTH, {"authority": MEGABYTE}, "authority", None),
    ("proceedings", BOTH, {"description": MEGABYTE}, "description", None),
    ("sharing-groups", BOTH, {"name": MEGABYTE}, "name", None),
    ("sharing-groups", BOTH, {"description": MEGABYTE}, "description", None),
    ("memberships", BOTH, {"role": MEGABYTE}, "role", None),
    # --- null bytes ----------------------------------------------------------------------
    ("cases", BOTH, {"legal_basis_note": "before\x00after"}, "legal_basis_note", None),
    ("cases", BOTH, {"interpol_notice": "red", "interpol_reference": "A\x00"},
     "interpol_reference", None),
    ("cases", BOTH, {"requesting_state": "C\x00"}, "requesting_state", None),
    ("cases", BOTH, {"offences": [{"description": "\x00", "category": "other"}]},
     "offences", None),
    ("cases", BOTH, {"named_recipients": ["fr_\x00liaison"]}, "named_recipients", None),
    ("subjects", BOTH, {"full_name": "Jean\x00Dupont"}, "full_name", None),
    ("subjects", BOTH, {"notes": "\x00"}, "notes", None),
    ("subjects", BOTH, {"nationalities": [{"country": "F\x00"}]}, "nationalities", None),
    ("assurances", BOTH, {"verbatim_text": "promise\x00"}, "verbatim_text", None),
    ("proceedings", BOTH, {"outcome": "\x00"}, "outcome", None),
    ("sharing-groups", BOTH, {"name": "Group\x00"}, "name", None),
    ("sharing-groups", BOTH, {"members": ["ministry\x00de"]}, "members", None),
    ("memberships", POST, {"user": "new\x00comer"}, "user", None),
    ("memberships", POST, {"organisation": "ngo\x00fr"}, "organisation", None),
    # --- unknown fields ------------------------------------------------------------------
    ("cases", BOTH, {"colour": "blue"}, "colour", UNKNOWN_FIELD),
    ("cases", BOTH, {"is_staff": True}, "is_staff", UNKNOWN_FIELD),
    ("subjects", BOTH, {"nickname": "X"}, "nickname", UNKNOWN_FIELD),
    ("assurances", BOTH, {"kept": True}, "kept", UNKNOWN_FIELD),
    ("proceedings", BOTH, {"judge": "X"}, "judge", UNKNOWN_FIELD),
    ("sharing-groups", BOTH, {"colour": "red"}, "colour", UNKNOWN_FIELD),
    ("memberships", BOTH, {"is_superuser": True}, "is_superuser", UNKNOWN_FIELD),
    # --- read-only fields ----------------------------------------------------------------
    ("cases", BOTH, {"reference": "FR-2026-9999"}, "reference", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"id": str(uuid.UUID(int=7))}, "id", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"status_changed_on": "2026-01-01"}, "status_changed_on",
     CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"closure_reason": "died"}, "closure_reason", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"subject_reference": "SUBJ-000000"}, "subject_reference",
     CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"allowed_transitions": ["surrendered"]}, "allowed_transitions",
     CANNOT_BE_WRITTEN),
    ("cases", PATCH, {"status": "surrendered"}, "status", None),
    ("cases", POST, {"version": 7}, "version", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"created_at": "2020-01-01T00:00:00Z"}, "created_at", CANNOT_BE_WRITTEN),
    ("subjects", BOTH, {"reference": "SUBJ-AAAAAA"}, "reference", CANNOT_BE_WRITTEN),
    ("subjects", BOTH, {"identifiers_visible": True}, "identifiers_visible",
     CANNOT_BE_WRITTEN),
    ("assurances", BOTH, {"updated_at": "2020-01-01T00:00:00Z"}, "updated_at",
     CANNOT_BE_WRITTEN),
    ("proceedings", POST, {"version": 3}, "version", CANNOT_BE_WRITTEN),
    ("sharing-groups", BOTH, {"id": 99}, "id", CANNOT_BE_WRITTEN),
    ("memberships", BOTH, {"created_at": "2020-01-01T00:00:00Z"}, "created_at",
     CANNOT_BE_WRITTEN),
    # --- mass assignment ----------------------------------------------------------------
    ("cases", BOTH, {"owner": "ngo-it"}, "owner", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"owner": {"slug": "ngo-it"}}, "owner", CANNOT_BE_WRITTEN),
    ("cases", BOTH, {"created_by": 1}, "created_by", UNKNOWN_FIELD),
    ("cases", PATCH, {"organisation": "ngo-it"}, "organisation", SET_ON_CREATE),
    ("cases", PATCH, {"organisation": "ngo-fr"}, "organisation", SET_ON_CREATE),
    ("subjects", BOTH, {"owner": "ngo-it"}, "owner", CANNOT_BE_WRITTEN),
    ("subjects", BOTH, {"created_by": "it_admin"}, "created_by", UNKNOWN_FIELD),
    ("subjects", PATCH, {"organisation": "ngo-it"}, "organisation", SET_ON_CREATE),
    ("assurances", BOTH, {"created_by": 1}, "created_by", UNKNOWN_FIELD),
    ("assurances", PATCH, lambda r: {"case": str(r.it_case.pk)}, "case", SET_ON_CREATE),
    ("proceedings", BOTH, {"created_by": 1}, "created_by", UNKNOWN_FIELD),
    ("proceedings", PATCH, lambda r: {"case": str(r.it_case.pk)}, "case", SET_ON_CREATE),
    ("sharing-groups", BOTH, {"owner": "ngo-it"}, "owner", CANNOT_BE_WRITTEN),
    ("sharing-groups", PATCH, {"organisation": "ngo-it"}, "organisation", SET_ON_CREATE),
    ("memberships", PATCH, {"organisation": "ngo-it"}, "organisation", SET_ON_CREATE),
    ("memberships", PATCH, {"user": "it_admin"}, "user", SET_ON_CREATE),
    # --- malformed and huge ids in bodies ------------------------------------------------
    ("cases", BOTH, {"subject": "not-a-uuid"}, "subject", None),
    ("cases", BOTH, {"subject": "123e4567-e89b-12d3-a456-42661417400"}, "subject", None),
    ("cases", BOTH, {"subject": HUGE}, "subject", None),
    ("cases", BOTH, {"subject": {"id": "x"}}, "subject", None),
    ("cases", BOTH, {"subject": None}, "subject", None),
    ("cases", BOTH, {"sharing_group": "not-a-number", "distribution": "sharing_group"},
     "sharing_group", None),
    ("cases", BOTH, {"sharing_group": HUGE, "distribution": "sharing_group"},
     "sharing_group", None),
    ("assurances", POST, {"case": "not-a-uuid"}, "case", None),
    ("assurances", POST, {"case": HUGE}, "case", None),
    ("proceedings", POST, {"case": "\x00"}, "case", None),
    ("proceedings", POST, {"case": str(uuid.UUID(int=1))}, "case", None),
    # --- other organisations' records, refused like records that do not exist -----------
    ("cases", BOTH, lambda r: {"subject": str(r.it_subject.pk)}, "subject", None),
    ("cases", BOTH, lambda r: {"sharing_group": r.it_group.pk,
                               "distribution": "sharing_group"}, "sharing_group", None),
    ("assurances", POST, lambda r: {"case": str(r.it_case.pk)}, "case", None),
    ("proceedings", POST, lambda r: {"case": str(r.it_case.pk)}, "case", None),
    ("cases", BOTH, {"named_recipients": ["it_caseworker"]}, "named_recipients", None),
    ("cases", BOTH, {"tlp": "red", "named_recipients": ["de_liaison"]},
     "named_recipients", None),
    ("memberships", POST, {"organisation": "ngo-it"}, "organisation", None),
    # --- versions ------------------------------------------------------------------------
    ("cases", PATCH, {"version": "one"}, "version", None),
    ("cases", PATCH, {"version": 0}, "version", None),
    ("cases", PATCH, {"version": [1]}, "version", None),
    ("subjects", PATCH, {"version": -1}, "version", None),
    ("memberships", PATCH, {"version": None}, "version", None),
]


def _expand(rows):
    for endpoint, methods, changes, field, contains in rows:
        for method in methods:
            keys = "+".join(sorted(changes)) if isinstance(changes, dict) else "related"
            shown = repr(changes if isinstance(changes, dict) else "...")[:40]
            yield pytest.param(endpoint, method, changes, field, contains,
                               id=f"{method}-{endpoint}-{keys}-{shown}")


@pytest.mark.parametrize(("endpoint", "method", "changes", "field", "contains"),
                         list(_expand(BAD)))
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    rec, endpoint, method, changes, field, contains
):
    if callable(changes):
        changes = changes(rec)
    before = snapshot()

    response = write(rec, endpoint, method, changes)

    assert_field_error(response, field, contains)
    assert snapshot() == before


# --- whole bodies that are not an object ------------------------------------------------------

BODIES = [
    pytest.param(b"{not json", "application/json", id="broken-json"),
    pytest.param(b'{"full_name": "A",}', "application/json", id="trailing-comma"),
    pytest.param(b"", "application/json", id="empty"),
    pytest.param(b"[]", "application/json", id="empty-array"),
    pytest.param(b'[{"full_name": "A"}]', "application/json", id="array-of-objects"),
    pytest.param(b'"full_name"', "application/json", id="string"),
    pytest.param(b"42", "application/json", id="number"),
    pytest.param(b"null", "application/json", id="null"),
    pytest.param(b"true", "application/json", id="boolean"),
    pytest.param('{"full_name": "\udcff"}'.encode("utf-8", "surrogatepass"),
                 "application/json", id="lone-surrogate"),
    pytest.param(b'{"full_name": "\xff\xfe"}', "application/json", id="invalid-utf8"),
    pytest.param(b"full_name=A", "text/plain", id="unsupported-media-type"),
]


BODY_TARGETS = [
    pytest.param("post", "/api/v1/subjects/", id="create-subject"),
    pytest.param("patch", "/api/v1/subjects/{subject}/", id="update-subject"),
    pytest.param("post", "/api/v1/cases/", id="create-case"),
    pytest.param("patch", "/api/v1/cases/{case}/", id="update-case"),
    pytest.param("post", "/api/v1/cases/{case}/transition/", id="transition"),
    pytest.param("patch", "/api/v1/sharing-groups/{group}/", id="update-group"),
]


@pytest.mark.parametrize(("method", "path"), BODY_TARGETS)
@pytest.mark.parametrize(("raw", "content_type"), BODIES)
def test_a_body_that_is_not_a_json_object_is_refused_with_a_message(
    rec, method, path, raw, content_type
):
    path = path.format(subject=rec.subject.pk, case=rec.case.pk, group=rec.group.pk)
    before = snapshot()

    response = getattr(api_client(rec.world.fr_admin), method)(
        path, raw, content_type=content_type
    )

    assert response.status_code in (400, 415), (response.status_code, response.content[:300])
    if content_type != "application/json":
        assert response.status_code == 415
    body = response.json()
    assert isinstance(body, dict) and messages(body), body
    assert snapshot() == before


# --- transitions ---------------------------------------------------------------------------

BAD_TRANSITIONS = [
    ({"to": ["judicial_phase"]}, "to"),
    ({"to": {"status": "judicial_phase"}}, "to"),
    ({"to": None}, "to"),
    ({}, "to"),
    ({"to": "judicial_phase", "date": "2026-02-30"}, "date"),
    ({"to": "judicial_phase", "date": "2026-13-01"}, "date"),
    ({"to": "judicial_phase", "date": 20260101}, "date"),
    ({"to": "judicial_phase", "date": "tomorrow"}, "date"),
    ({"to": "judicial_phase", "date": "{tomorrow}"}, "date"),
    ({"to": "judicial_phase", "date": "1850-01-01"}, "date"),
    ({"to": "judicial_phase", "note": MEGABYTE}, "note"),
    ({"to": "judicial_phase", "note": "a\x00b"}, "note"),
    ({"to": "judicial_phase", "note": ["a"]}, "note"),
    ({"to": "judicial\x00phase"}, "to"),
    ({"to": MEGABYTE}, "to"),
    ({"to": "judicial_phase", "closure_reason": "escaped"}, "closure_reason"),
    ({"to": "judicial_phase", "version": "latest"}, "version"),
    ({"to": "judicial_phase", "version": 0}, "version"),
    ({"to": "judicial_phase", "actor": "it_admin"}, "actor"),
    ({"to": "judicial_phase", "from_status": "refused"}, "from_status"),
    ({"to": "judicial_phase", "surrender_date": "2026-01-01"}, "surrender_date"),
]


@pytest.mark.parametrize(("body", "field"), BAD_TRANSITIONS,
                         ids=[repr(b)[:50] for b, _f in BAD_TRANSITIONS])
def test_a_bad_transition_is_a_400_naming_the_field_and_changes_nothing(rec, body, field):
    body = {k: (v.format(tomorrow=tomorrow()) if isinstance(v, str) and "{" in v else v)
            for k, v in body.items()}
    before = snapshot()

    response = api_client(rec.world.fr_caseworker).post(
        f"/api/v1/cases/{rec.case.pk}/transition/", body, format="json"
    )

    assert_field_error(response, field)
    assert snapshot() == before


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_shared_subject_of_another_organisation_fails_like_a_nonexistent_one(rec, method):
    # ministry_de shares a case with ngo_fr: its subject's pseudonym is visible to ngo_fr, but
    # it is not ngo_fr's to open a case on.
    de_subject = SubjectFactory(owner=rec.world.ministry_de)
    CaseFactory(owner=rec.world.ministry_de, subject=de_subject,
                distribution=Distribution.NETWORK, tlp=TLP.GREEN)
    client = api_client(rec.world.fr_caseworker)
    assert client.get(f"/api/v1/subjects/{de_subject.pk}/").status_code == 200
    missing = str(uuid.UUID(int=4242))
    before = snapshot()

    refused = write(rec, "cases", method, {"subject": str(de_subject.pk)})
    absent = write(rec, "cases", method, {"subject": missing})

    assert refused.status_code == absent.status_code == 400
    assert refused.content.decode().replace(str(de_subject.pk), "<id>") == (
        absent.content.decode().replace(missing, "<id>")
    )
    assert snapshot() == before


def test_cases_filter_by_owning_organisation(world):
    mine = CaseFactory(owner=world.ngo_fr, distribution="network", tlp="green")
    CaseFactory(owner=world.ministry_de, distribution="network", tlp="green")
    response = api_client(world.it_caseworker).get("/api/v1/cases/", {"organisation": "ngo-fr"})
    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [str(mine.pk)]
    bad = api_client(world.it_caseworker).get("/api/v1/cases/", {"organisation": "nope"})
    assert bad.status_code == 400 and "organisation" in bad.json()
