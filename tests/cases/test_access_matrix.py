"""The access matrix: every role of the owner, a sharing partner and an outsider, plus anonymous,
against every endpoint and verb, on records of each distribution.

Each row names an endpoint, who of the owner may use it, and what a caller gets otherwise:
- a caller who may not see the record gets 404 (or 400 where the record is only referenced in
  the body, exactly as for an id that does not exist), and never finds it in a list or filter;
- a caller who sees it but may not do this gets 403;
- anonymous callers get 401.
`test_every_api_url_is_in_the_matrix` (test_access_matrix_organisations.py, with the rows of an
organisation's own records) fails when an endpoint is added without a row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from cases.models.sharing import TLP, Distribution

from ..conftest import ORGS, ROLE_SHORT, ROLES, api_client
from ..factories import AssuranceFactory, CaseFactory, ProceedingFactory, SubjectFactory

ALL = frozenset(ROLES)
EDITORS = frozenset({"caseworker", "org_admin"})
PROCEEDING_EDITORS = frozenset({"caseworker", "liaison", "org_admin"})
TRANSITIONERS = frozenset({"caseworker", "liaison", "org_admin"})
IDENTIFIER_READERS = frozenset({"caseworker", "liaison", "org_admin"})
ADMINS = frozenset({"org_admin"})
COMMENTERS = frozenset({"caseworker", "liaison", "org_admin"})
PASSERS_ON = frozenset({"liaison", "org_admin"})
AUDIT_READERS = frozenset({"auditor", "org_admin"})

# The label each distribution is tested with: the narrowest label its ceiling allows.
LABEL = {
    Distribution.ORGANISATION: TLP.AMBER,
    Distribution.SHARING_GROUP: TLP.AMBER,
    Distribution.NETWORK: TLP.GREEN,
    Distribution.AGGREGATE_ONLY: TLP.AMBER,
}

ACTORS = [(org, role) for org in ORGS for role in ROLES] + [(None, None)]


def _ids(response) -> set[str]:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {str(row.get("id", row.get("seq"))) for row in rows}


@dataclass
class Row:
    """One endpoint and verb. `allowed` are the owner's roles that succeed."""

    name: str  # the URL name, as in `reverse()`
    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: Callable | None = None
    # What a caller who cannot see the record gets.
    hidden: int = 404
    # For lists and filters: does the response show the record?
    shows: Callable | None = None
    # Who may see the record: "case" (the case's distribution), "owner" (the owning
    # organisation only), "recipient" (its one recipient); org-level rows use other scopes.
    scope: str = "case"
    # Send the body as multipart (file uploads) rather than JSON.
    multipart: bool = False
    # The roles of organisations that see the record (not only the owner's) that succeed:
    # recipients comment, and pass on what the label allows.
    recipients: frozenset[str] = frozenset()
    extra: dict = field(default_factory=dict)


def case_rows() -> list[Row]:
    return [
        Row("case-list", "get", "/api/v1/cases/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.case.pk) in _ids(r)),
        Row("case-list", "get", "/api/v1/cases/?subject={subject}", ALL, hidden=400,
            shows=lambda r, rec: str(rec.case.pk) in _ids(r)),
        Row("case-list", "get", "/api/v1/cases/?q={case_ref}", ALL,
            shows=lambda r, rec: str(rec.case.pk) in _ids(r), hidden=200),
        Row("case-list", "get", "/api/v1/cases/?q={full_name}", IDENTIFIER_READERS,
            shows=lambda r, rec: str(rec.case.pk) in _ids(r), hidden=200, extra={"name": 1}),
        Row("case-detail", "get", "/api/v1/cases/{case}/", ALL),
        Row("case-timeline", "get", "/api/v1/cases/{case}/timeline/", ALL),
        Row("subject-list", "get", "/api/v1/subjects/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.subject.pk) in _ids(r)),
        Row("subject-detail", "get", "/api/v1/subjects/{subject}/", ALL),
        Row("subject-detail", "get", "/api/v1/subjects/{subject}/", IDENTIFIER_READERS,
            shows=lambda r, rec: r.status_code == 200 and "full_name" in r.json(),
            extra={"identifiers": 1}),
        Row("assurance-list", "get", "/api/v1/assurances/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.assurance.pk) in _ids(r)),
        Row("assurance-list", "get", "/api/v1/assurances/?case={case}", ALL, hidden=400,
            shows=lambda r, rec: str(rec.assurance.pk) in _ids(r)),
        Row("assurance-detail", "get", "/api/v1/assurances/{assurance}/", ALL),
        Row("proceeding-list", "get", "/api/v1/proceedings/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.proceeding.pk) in _ids(r)),
        Row("proceeding-list", "get", "/api/v1/proceedings/?case={case}", ALL, hidden=400,
            shows=lambda r, rec: str(rec.proceeding.pk) in _ids(r)),
        Row("proceeding-detail", "get", "/api/v1/proceedings/{proceeding}/", ALL),
        # Writes, after the reads; deletes last.
        Row("case-detail", "patch", "/api/v1/cases/{case}/", EDITORS,
            body=lambda rec: {"legal_basis_note": "updated", "version": rec.version("case")}),
        Row("subject-detail", "patch", "/api/v1/subjects/{subject}/", EDITORS,
            body=lambda rec: {"reprisal_risk": True, "version": rec.version("subject")}),
        Row("assurance-detail", "patch", "/api/v1/assurances/{assurance}/", EDITORS,
            body=lambda rec: {"issuer": "Embassy", "version": rec.version("assurance")}),
        Row("proceeding-detail", "patch", "/api/v1/proceedings/{proceeding}/",
            PROCEEDING_EDITORS,
            body=lambda rec: {"authority": "Court", "version": rec.version("proceeding")}),
        Row("assurance-list", "post", "/api/v1/assurances/", EDITORS, ok=201, hidden=400,
            body=lambda rec: {"case": str(rec.case.pk), "type": "fair_trial",
                              "verbatim_text": "A fair trial.", "form": "diplomatic_note",
                              "issuer": "Ministry", "issuer_level": "central_government"}),
        Row("proceeding-list", "post", "/api/v1/proceedings/", PROCEEDING_EDITORS, ok=201,
            hidden=400,
            body=lambda rec: {"case": str(rec.case.pk), "kind": "hearing",
                              "date": "2026-01-05"}),
        Row("case-transition", "post", "/api/v1/cases/{case}/transition/", TRANSITIONERS,
            body=lambda rec: {"to": "judicial_phase", "date": "2026-01-10"}),
        Row("assurance-detail", "delete", "/api/v1/assurances/{assurance}/", EDITORS, ok=204),
        # An assurance with findings is never deleted: the findings would be lost.
        Row("assurance-detail", "delete", "/api/v1/assurances/{checked_assurance}/", EDITORS,
            ok=400),
        Row("proceeding-detail", "delete", "/api/v1/proceedings/{proceeding}/",
            PROCEEDING_EDITORS, ok=204),
        *monitoring_rows(),
        # Last: erasing a subject's identifiers is for good.
        Row("subject-erase", "post", "/api/v1/subjects/{subject}/erase/", ADMINS,
            body=lambda rec: {"reason": "data_protection_request"}),
    ]


def monitoring_rows() -> list[Row]:
    """Monitoring of the case after surrender: plans, follow-ups, reports, findings, evidence,
    compliance, notifications."""
    return [
        Row("monitoring-plan-list", "get", "/api/v1/monitoring-plans/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.plan.pk) in _ids(r)),
        Row("monitoring-plan-detail", "get", "/api/v1/monitoring-plans/{plan}/", ALL),
        Row("follow-up-list", "get", "/api/v1/follow-ups/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.follow_up.pk) in _ids(r)),
        Row("follow-up-list", "get", "/api/v1/follow-ups/?case={monitored}", ALL, hidden=400,
            shows=lambda r, rec: str(rec.follow_up.pk) in _ids(r)),
        Row("follow-up-detail", "get", "/api/v1/follow-ups/{follow_up}/", ALL),
        Row("report-list", "get", "/api/v1/reports/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.report.pk) in _ids(r)),
        Row("report-detail", "get", "/api/v1/reports/{report}/", ALL),
        Row("finding-list", "get", "/api/v1/findings/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.finding.pk) in _ids(r)),
        Row("finding-detail", "get", "/api/v1/findings/{finding}/", ALL),
        Row("case-compliance", "get", "/api/v1/cases/{monitored}/compliance/", ALL),
        Row("evidence-list", "get", "/api/v1/evidence/", ALL, hidden=200, scope="owner",
            shows=lambda r, rec: str(rec.evidence.pk) in _ids(r)),
        Row("evidence-detail", "get", "/api/v1/evidence/{evidence}/", ALL, scope="owner"),
        Row("evidence-download", "get", "/api/v1/evidence/{evidence}/download/", ALL,
            scope="owner"),
        Row("notification-list", "get", "/api/v1/notifications/", ALL, hidden=200,
            scope="recipient", shows=lambda r, rec: str(rec.notification.pk) in _ids(r)),
        Row("notification-detail", "get", "/api/v1/notifications/{notification}/", ALL,
            scope="recipient"),
        Row("notification-read", "post", "/api/v1/notifications/{notification}/read/", ALL,
            scope="recipient"),
        # Writes.
        Row("monitoring-plan-detail", "patch", "/api/v1/monitoring-plans/{plan}/", EDITORS,
            body=lambda rec: {"profile": "intensive", "version": rec.version("plan")}),
        Row("monitoring-plan-phase", "post", "/api/v1/monitoring-plans/{plan}/phase/", EDITORS,
            body=lambda rec: {"phase": "pre_trial_detention"}),
        Row("follow-up-detail", "patch", "/api/v1/follow-ups/{follow_up}/", EDITORS,
            body=lambda rec: {"note": "call first", "version": rec.version("follow_up")}),
        Row("follow-up-list", "post", "/api/v1/follow-ups/", EDITORS, ok=201, hidden=400,
            body=lambda rec: {"case": str(rec.monitored.pk), "due_at": "2030-01-01T00:00:00Z"}),
        Row("follow-up-report", "post", "/api/v1/follow-ups/{report_target}/report/", EDITORS,
            ok=201,
            body=lambda rec: {"checked_at": "2026-01-05T10:00:00Z", "access": "granted",
                              "findings": [{"assurance": str(rec.checked_assurance.pk),
                                            "outcome": "complied", "severity": "low"}]}),
        Row("finding-detail", "patch", "/api/v1/findings/{finding}/", EDITORS,
            body=lambda rec: {"severity": "high", "version": rec.version("finding")}),
        Row("evidence-list", "post", "/api/v1/evidence/", EDITORS, ok=201, hidden=400,
            multipart=True,
            body=lambda rec: {"report": str(rec.report.pk), "file": _pdf()}),
        *sharing_rows(),
    ]


def sharing_rows() -> list[Row]:
    """Findings shared across organisations: comments, re-shares, the owner's share, and the
    aggregates."""
    return [
        Row("finding-comments", "get", "/api/v1/findings/{finding}/comments/", ALL),
        Row("finding-comments", "post", "/api/v1/findings/{finding}/comments/", COMMENTERS,
            ok=201, recipients=COMMENTERS, body=lambda rec: {"text": "Seen the same."}),
        Row("finding-share-list", "get", "/api/v1/finding-shares/", ALL, hidden=200,
            shows=lambda r, rec: str(rec.reshare.pk) in _ids(r)),
        Row("finding-share-detail", "get", "/api/v1/finding-shares/{reshare}/", ALL),
        Row("case-risk-brief", "get", "/api/v1/cases/{case}/risk-brief/", ALL, ok=400),
        # Re-sharing: by a recipient's liaison or admin, where the label allows (GREEN here
        # only on the network-shared case); the owner shares by distribution instead.
        Row("finding-share-list", "post", "/api/v1/finding-shares/", PASSERS_ON, ok=201,
            hidden=400, recipients=PASSERS_ON,
            body=lambda rec: {"finding": str(rec.finding.pk), "distribution": "network"},
            extra={"reshare": 1}),
        Row("finding-share", "post", "/api/v1/findings/{finding}/share/", EDITORS,
            body=lambda rec: {"distribution": rec.finding.distribution,
                              "sharing_group": rec.finding.sharing_group_id,
                              "version": rec.version("finding")}),
        Row("finding-share-detail", "delete", "/api/v1/finding-shares/{reshare}/", EDITORS,
            ok=204, recipients=PASSERS_ON, extra={"withdraw": 1}),
    ]


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n% evidence\n", "application/pdf")


class Records:
    """A case of `ngo_fr` with its subject, one assurance and one proceeding."""

    def __init__(self, world, distribution: str):
        owner = world.ngo_fr
        self.subject = SubjectFactory(owner=owner, full_name="Matrix Subject Name")
        self.case = CaseFactory(
            owner=owner,
            subject=self.subject,
            distribution=distribution,
            sharing_group=world.fr_de_group if distribution == Distribution.SHARING_GROUP else None,
            tlp=LABEL[distribution],
        )
        self.assurance = AssuranceFactory(case=self.case)
        self.proceeding = ProceedingFactory(case=self.case)
        self._monitoring(world, distribution)

    def _monitoring(self, world, distribution):
        """A second case of the same subject, surrendered and monitored."""
        import datetime

        from django.utils import timezone

        from monitoring import services as monitoring
        from monitoring.models import FindingShare, Notification

        actor = world.fr_caseworker
        self.monitored = CaseFactory(
            owner=self.case.owner, subject=self.subject, distribution=distribution,
            sharing_group=self.case.sharing_group, tlp=self.case.tlp,
            status="monitoring_active", surrender_date=datetime.date(2026, 1, 1),
        )
        self.checked_assurance = AssuranceFactory(case=self.monitored, type="monitoring_access")
        self.plan = monitoring.plan_for_case(actor=actor, case=self.monitored)
        self.follow_up = self.plan.follow_ups.get()
        soon = timezone.now() + datetime.timedelta(days=5)
        self.report_target = monitoring.follow_up_create(
            actor=actor, case=self.monitored, due_at=soon)
        self.report = monitoring.report_submit(
            actor=actor,
            follow_up=monitoring.follow_up_create(actor=actor, case=self.monitored, due_at=soon),
            checked_at=datetime.datetime(2026, 1, 2, 9, tzinfo=datetime.UTC),
            access="granted",
            narrative="Visit notes naming the family",
            findings=[{"assurance": self.checked_assurance, "outcome": "complied",
                       "severity": "low"}],
        )
        self.finding = self.report.findings.get()
        self.evidence = monitoring.evidence_upload(actor=actor, report=self.report, file=_pdf())
        self.notification = Notification.objects.create(
            recipient=actor, kind="due", case=self.monitored, follow_up=self.follow_up,
            dedup_key=f"matrix:{self.monitored.pk}", subject="s", body="b",
        )
        # A partner's re-share, written as stored (the rules for making one are in the rows).
        self.reshare = FindingShare.objects.create(
            finding=self.finding, organisation=world.ministry_de, distribution="network",
            created_by=world.de_liaison,
        )

    def version(self, name: str) -> int:
        obj = getattr(self, name)
        obj.refresh_from_db()
        return obj.version

    def format(self, path: str) -> str:
        return path.format(
            case=self.case.pk,
            subject=self.subject.pk,
            assurance=self.assurance.pk,
            checked_assurance=self.checked_assurance.pk,
            proceeding=self.proceeding.pk,
            monitored=self.monitored.pk,
            plan=self.plan.pk,
            follow_up=self.follow_up.pk,
            report_target=self.report_target.pk,
            report=self.report.pk,
            finding=self.finding.pk,
            evidence=self.evidence.pk,
            notification=self.notification.pk,
            reshare=self.reshare.pk,
            case_ref=self.case.reference,
            full_name=self.subject.full_name.replace(" ", "+"),
        )


def sees(row: Row, org: str | None, role: str | None, distribution: str) -> bool:
    if row.scope == "owner":
        return org == "fr"
    if row.scope == "recipient":
        return org == "fr" and role == "caseworker"
    return sees_case(org, distribution)


def sees_case(org: str | None, distribution: str) -> bool:
    return (
        org == "fr"
        or (org == "de" and distribution in (Distribution.SHARING_GROUP, Distribution.NETWORK))
        or (org == "it" and distribution == Distribution.NETWORK)
    )


def shown(row: Row, org: str | None, role: str | None, visible: bool) -> bool:
    """Whether a list, filter or field shows the record: to all who see it, or to some roles
    of the owner."""
    return visible and (row.allowed == ALL or (org == "fr" and role in row.allowed))


def expected(row: Row, org: str | None, role: str | None, visible: bool, distribution=None):
    """(status, shows) the row should give this caller."""
    if org is None:
        return 401, False
    if row.method == "post" and row.name.endswith("-list") and role not in row.allowed:
        # No role of the caller may create such a record anywhere: refused before the body
        # is read, so the answer says nothing about the record it names.
        return 403, None
    if not visible:
        return row.hidden, False
    if row.shows is not None:
        return 200, shown(row, org, role, visible)
    if row.method == "get":
        return row.ok, None
    if "reshare" in row.extra:
        if org == "fr":
            return 400, None  # the owner shares by distribution, not by passing on
        # Only a GREEN or CLEAR label lets a recipient pass a finding on.
        return (201 if LABEL[distribution] in (TLP.GREEN, TLP.CLEAR) else 403), None
    if "withdraw" in row.extra:
        # The organisation that passed it on, or the owner's editors.
        may = (org == "fr" and role in row.allowed) or (org == "de" and role in PASSERS_ON)
        return (row.ok if may else 403), None
    may = role in row.allowed and (org == "fr" or role in row.recipients)
    return (row.ok if may else 403), None


def _call(client, row: Row, path: str, body):
    method = getattr(client, row.method)
    if body is None:
        return method(path)
    return method(path, body, format="multipart" if row.multipart else "json")


def _excerpt(response) -> str:
    return "<file>" if response.streaming else repr(response.content[:200])


def _check(client, records, table) -> None:
    """Call each row in order; fail with every row whose answer differs from the table."""
    mismatches = []
    for row, status, shows in table:
        body = row.body(records) if row.body else None
        response = _call(client, row, records.format(row.path), body)
        got = bool(row.shows and response.status_code == 200 and row.shows(response, records))
        if response.status_code != status or (row.shows and got != shows):
            mismatches.append(
                f"{row.method.upper()} {row.path}: expected {status}{' shown' if shows else ''},"
                f" got {response.status_code}{' shown' if got else ''} {_excerpt(response)}"
            )
    assert not mismatches, "\n".join(mismatches)


def _user(world, org, role):
    return None if org is None else getattr(world, f"{org}_{ROLE_SHORT[role]}")


@pytest.mark.parametrize("distribution", list(Distribution.values))
@pytest.mark.parametrize(("org", "role"), ACTORS, ids=lambda v: str(v))
def test_case_records(world, org, role, distribution):
    records = Records(world, distribution)
    _check(
        api_client(_user(world, org, role)),
        records,
        [(row, *expected(row, org, role, sees(row, org, role, distribution), distribution))
         for row in case_rows()],
    )
