"""The access matrix of an organisation's own records (its members, sharing groups and audit
log), row by row as in test_access_matrix.py; and every API URL declares a policy resource and
has a row in one of the two matrices."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cases import policy
from cases.models import AuditEvent, Membership
from cases.models.sharing import Distribution

from ..conftest import api_client, session_client
from ..factories import CaseFactory
from ..imports import test_import_access as import_access
from .test_access_matrix import (
    ACTORS,
    ADMINS,
    ALL,
    AUDIT_READERS,
    Row,
    _check,
    _ids,
    _user,
    case_rows,
    shown,
)


def org_rows() -> list[Row]:
    """Rows on `ngo_fr`'s organisation-level records; ministry_de shares its sharing group."""
    return [
        Row("me", "get", "/api/v1/me/", ALL, scope="any"),
        Row("notification-preferences", "get", "/api/v1/notification-preferences/", ALL,
            scope="any"),
        Row("notification-preferences", "put", "/api/v1/notification-preferences/", ALL,
            scope="any", body=lambda rec: [{"kind": "due_soon", "email": False}]),
        Row("organisation-list", "get", "/api/v1/organisations/", ALL, scope="any"),
        Row("organisation-detail", "get", "/api/v1/organisations/ngo-fr/", ALL, scope="any"),
        Row("country-list", "get", "/api/v1/countries/", ALL, scope="any"),
        Row("country-detail", "get", "/api/v1/countries/CN/", ALL, scope="any"),
        Row("instrument-list", "get", "/api/v1/instruments/", ALL, scope="any"),
        Row("instrument-detail", "get", "/api/v1/instruments/{instrument}/", ALL, scope="any"),
        Row("membership-list", "get", "/api/v1/memberships/", ALL, scope="org", hidden=200,
            shows=lambda r, rec: str(rec.membership.pk) in _ids(r)),
        Row("membership-detail", "get", "/api/v1/memberships/{membership}/", ALL, scope="org"),
        Row("sharing-group-list", "get", "/api/v1/sharing-groups/", ALL, scope="group",
            hidden=200,
            shows=lambda r, rec: str(rec.group.pk) in _ids(r)),
        Row("sharing-group-detail", "get", "/api/v1/sharing-groups/{group}/", ALL,
            scope="group"),
        Row("audit-event-list", "get", "/api/v1/audit-events/", AUDIT_READERS, scope="org",
            shows=lambda r, rec: str(rec.event.seq) in _ids(r), hidden=200),
        Row("audit-event-detail", "get", "/api/v1/audit-events/{event}/", AUDIT_READERS,
            scope="audit"),
        Row("membership-detail", "patch", "/api/v1/memberships/{membership}/", ADMINS,
            scope="org", body=lambda rec: {"role": "liaison", "version": rec.version()}),
        Row("sharing-group-detail", "patch", "/api/v1/sharing-groups/{group}/", ADMINS,
            scope="group",
            body=lambda rec: {"description": "updated", "version": rec.group_version()}),
        Row("membership-list", "post", "/api/v1/memberships/", ADMINS, ok=201, scope="create",
            body=lambda rec: {"organisation": "ngo-fr", "user": rec.newcomer.username,
                              "role": "caseworker"}),
        Row("sharing-group-list", "post", "/api/v1/sharing-groups/", ADMINS, ok=201,
            scope="create", body=lambda rec: {"organisation": "ngo-fr", "name": "New group"}),
        Row("membership-detail", "delete", "/api/v1/memberships/{membership}/", ADMINS,
            ok=204, scope="org"),
        # Invitations: seen by the invited account and the inviting organisation's admins;
        # answered by the invited account alone (tested on its own), cancelled by the admins.
        Row("invitation-list", "get", "/api/v1/invitations/", ALL, scope="invite", hidden=200,
            shows=lambda r, rec: str(rec.invitation.pk) in _ids(r)),
        Row("invitation-detail", "get", "/api/v1/invitations/{invitation}/", ALL,
            scope="invite"),
        Row("invitation-accept", "post", "/api/v1/invitations/{invitation}/accept/",
            frozenset(), scope="invite"),
        Row("invitation-decline", "post", "/api/v1/invitations/{invitation}/decline/",
            frozenset(), scope="invite"),
        Row("invitation-list", "post", "/api/v1/invitations/", ADMINS, ok=201, scope="create",
            body=lambda rec: {"organisation": "ngo-fr", "user": rec.wayfarer.username,
                              "role": "auditor"}),
        Row("invitation-detail", "delete", "/api/v1/invitations/{invitation}/", ADMINS, ok=204,
            scope="invite"),
        Row("inbox", "get", "/api/v1/inbox/", ALL, scope="any"),
        Row("compliance-record", "get", "/api/v1/compliance/", ALL, scope="any"),
        # The owner keeps its group; a member organisation's admin may leave it.
        Row("sharing-group-leave", "post", "/api/v1/sharing-groups/{leave_group}/leave/",
            ADMINS, ok=204, scope="group", body=lambda rec: {}, extra={"leave": 1}),
        Row("sharing-group-detail", "delete", "/api/v1/sharing-groups/{group}/", ADMINS,
            ok=204, scope="group"),
        # Exports: the French caseworker's files; its organisation's auditors read them too,
        # except one with identifiers, which stays the requester's.
        Row("export-list", "get", "/api/v1/exports/", ALL, scope="export", hidden=200,
            shows=lambda r, rec: str(rec.export.pk) in _ids(r)),
        Row("export-list", "get", "/api/v1/exports/", ALL, scope="requester", hidden=200,
            shows=lambda r, rec: str(rec.identified_export.pk) in _ids(r)),
        Row("export-detail", "get", "/api/v1/exports/{export}/", ALL, scope="export"),
        Row("export-manifest", "get", "/api/v1/exports/{export}/manifest/", ALL,
            scope="export"),
        Row("export-download", "get", "/api/v1/exports/{export}/download/", ALL,
            scope="export"),
        Row("export-detail", "get", "/api/v1/exports/{identified_export}/", ALL,
            scope="requester"),
        Row("export-download", "get", "/api/v1/exports/{identified_export}/download/", ALL,
            scope="requester"),
        # Every role exports what it sees.
        Row("export-list", "post", "/api/v1/exports/", ALL, ok=201, scope="any",
            body=lambda rec: {"kind": "findings", "format": "json"}),
    ]


class OrgRecords:
    def __init__(self, world):
        from cases import audit
        from cases.models import LegalInstrument

        from ..factories import SharingGroupFactory, UserFactory

        self.membership = Membership.objects.get(user=world.fr_caseworker)
        self.group = SharingGroupFactory(
            name="FR-DE matrix", owner=world.ngo_fr, members=[world.ministry_de]
        )
        self.event = audit.record(world.fr_caseworker, AuditEvent.Action.UPDATE, self.membership)
        self.instrument = LegalInstrument.objects.first()
        self.newcomer = UserFactory(username="newcomer")
        self.wayfarer = UserFactory(username="wayfarer")
        from cases.invitations import invitation_create

        self.invitation = invitation_create(
            actor=world.fr_admin, organisation=world.ngo_fr,
            user=UserFactory(username="invited"), role="liaison")
        self.leave_group = SharingGroupFactory(
            name="FR-DE to leave", owner=world.ngo_fr, members=[world.ministry_de]
        )
        from reporting.exports.services import export_request

        self.export = export_request(actor=world.fr_caseworker, kind="cases", format="csv")
        self.identified_export = export_request(
            actor=world.fr_caseworker, kind="cases", format="csv", include_identifiers=True)

    def version(self) -> int:
        self.membership.refresh_from_db()
        return self.membership.version

    def group_version(self) -> int:
        self.group.refresh_from_db()
        return self.group.version

    def format(self, path: str) -> str:
        return path.format(
            membership=self.membership.pk,
            group=self.group.pk,
            event=self.event.seq,
            instrument=self.instrument.pk,
            leave_group=self.leave_group.pk,
            export=self.export.pk,
            identified_export=self.identified_export.pk,
            invitation=self.invitation.pk,
        )


def sees_org_record(scope: str, org: str | None, role: str | None) -> bool:
    if scope in ("any", "create"):
        return True
    if scope == "group":
        return org in ("fr", "de")
    if scope == "audit":
        return org == "fr" and role in AUDIT_READERS
    if scope == "export":
        # The requester, and the auditors of its organisation.
        return org == "fr" and role in ("caseworker", "auditor")
    if scope == "requester":
        return org == "fr" and role == "caseworker"
    if scope == "invite":
        return org == "fr" and role == "org_admin"
    return org == "fr"


def expected_org(row: Row, org, role):
    if org is None:
        return 401, False
    visible = sees_org_record(row.scope, org, role)
    may = (org == "fr" or row.scope == "any") and role in row.allowed
    if row.shows is not None:
        return 200, shown(row, org, role, visible)
    if row.scope == "create":
        if role not in row.allowed:
            # No role of the caller may create this anywhere.
            return 403, None
        if org != "fr":
            # An admin elsewhere, creating for ngo-fr: the organisation is refused like any
            # other value the caller may not use.
            return 400, None
    if not visible:
        return row.hidden, None
    if row.method == "get":
        return 200, None
    if "leave" in row.extra:
        # A member organisation's admin leaves; the owner keeps its group.
        if role not in row.allowed:
            return 403, None
        return (400 if org == "fr" else row.ok), None
    return (row.ok if may else 403), None


@pytest.mark.parametrize(("org", "role"), ACTORS, ids=lambda v: str(v))
def test_organisation_records(world, org, role):
    _check(
        api_client(_user(world, org, role)),
        OrgRecords(world),
        [(row, *expected_org(row, org, role)) for row in org_rows()],
    )


# --- every URL has a policy and a row ---------------------------------------------------------

PUBLIC = {"auth-token", "api-root", "api-root-format"}
# Imports have a matrix of their own, every role of the importer's organisation, a partner and an
# outsider against each endpoint (tests/imports/test_import_access.py).
IMPORT_API = import_access.API_NAMES


def _api_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _api_patterns(pattern, route)
        elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
            yield route, pattern


def test_every_api_url_declares_a_policy_resource():
    missing = []
    for route, pattern in _api_patterns():
        view = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        if pattern.name in PUBLIC:
            continue
        resource = getattr(view, "resource", None)
        if resource not in set(policy.Resource):
            missing.append(route)
    assert not missing, f"API URLs without a policy resource: {missing}"


def test_every_api_url_is_in_the_matrix():
    covered = {row.name for row in case_rows() + org_rows()} | PUBLIC | IMPORT_API
    names = {pattern.name for _route, pattern in _api_patterns()}
    # The router's format-suffix variants (e.g. case-list with .json) share names.
    assert names - covered == set(), f"API URLs with no row in the access matrix: {names - covered}"


def test_anonymous_gets_only_the_token_endpoint_and_docs(client, db):
    assert client.get("/api/v1/cases/").status_code == 401
    assert client.get("/api/schema/").status_code == 200
    response = client.post("/api/v1/auth/token/", {}, content_type="application/json")
    assert response.status_code == 400


def test_platform_staff_see_no_case_data_without_a_membership(world):
    CaseFactory(owner=world.ngo_fr, distribution=Distribution.ORGANISATION)
    client = session_client(world.staff)
    assert client.get("/api/v1/cases/").json()["results"] == []
    assert client.get("/api/v1/subjects/").json()["results"] == []
    assert client.get("/api/v1/audit-events/").json()["results"] == []
