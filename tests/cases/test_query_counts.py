"""A list costs the same number of queries for a few rows as for a full page.

The counts are pinned: a change that adds a query to a list shows here, on purpose.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cases import audit
from cases.models import AuditEvent
from cases.models.sharing import TLP, Distribution

from ..conftest import used_client
from ..factories import (
    AssuranceFactory,
    CaseFactory,
    MembershipFactory,
    ProceedingFactory,
    SharingGroupFactory,
    SubjectFactory,
)


def _cases(world, n):
    for i in range(n):
        case = CaseFactory(
            owner=world.ngo_fr,
            subject=SubjectFactory(owner=world.ngo_fr, nationalities=["DE", "CN"]),
            distribution=Distribution.NETWORK if i % 2 else Distribution.ORGANISATION,
            tlp=TLP.GREEN,
        )
        AssuranceFactory(case=case)
        ProceedingFactory(case=case)
        ProceedingFactory(case=case, kind="nationality_consultation", consulted_state_id="DE")
        case.named_recipients.add(world.fr_caseworker)


def _monitored(world, n):
    """n monitored cases, each with a plan, follow-ups, a report with a finding, evidence and a
    notification for the caller."""
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from monitoring import services as monitoring
    from monitoring.models import Notification

    actor = world.fr_admin
    for _ in range(n):
        case = CaseFactory(owner=world.ngo_fr, status="monitoring_active",
                           surrender_date=datetime.date(2026, 1, 1))
        assurance = AssuranceFactory(case=case, type="monitoring_access")
        plan = monitoring.plan_for_case(actor=actor, case=case)
        report = monitoring.report_submit(
            actor=actor, follow_up=plan.follow_ups.get(), access="granted",
            checked_at=datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
            findings=[{"assurance": assurance, "outcome": "complied", "severity": "low"}],
        )
        monitoring.evidence_upload(
            actor=actor, report=report,
            file=SimpleUploadedFile("a.pdf", b"%PDF-1.4\n", "application/pdf"),
        )
        Notification.objects.create(
            recipient=actor, kind="due", case=case, dedup_key=f"q:{case.pk}",
            subject="s", body="b", created_at=timezone.now(),
        )


def _memberships(world, n):
    for _ in range(n):
        MembershipFactory(organisation=world.ngo_fr)


def _groups(world, n):
    for _ in range(n):
        SharingGroupFactory(owner=world.ngo_fr, members=[world.ministry_de])


def _events(world, n):
    audit.record_many(
        [audit.Entry(world.fr_admin, AuditEvent.Action.UPDATE, world.ngo_fr) for _ in range(n)]
    )


def _exports(world, n):
    from reporting.models import Export

    Export.objects.bulk_create(
        Export(requester=world.fr_admin, organisation=world.ngo_fr, kind="cases", format="csv")
        for _ in range(n)
    )


# endpoint, how to make n more rows, pinned queries per request (auth token, roles, the list,
# its prefetches, and for subjects the audit events of the identifiers shown).
# A list with sealed values (cases.models.sealed) unwraps their data keys in one more query.
LISTS = [
    ("/api/v1/cases/", _cases, 8),
    ("/api/v1/subjects/", _cases, 10),
    ("/api/v1/assurances/", _cases, 3),
    ("/api/v1/proceedings/", _cases, 4),
    ("/api/v1/memberships/", _memberships, 2),
    ("/api/v1/sharing-groups/", _groups, 3),
    ("/api/v1/audit-events/", _events, 3),
    ("/api/v1/monitoring-plans/", _monitored, 3),
    ("/api/v1/follow-ups/", _monitored, 3),
    ("/api/v1/reports/", _monitored, 4),
    ("/api/v1/findings/", _monitored, 3),
    ("/api/v1/evidence/", _monitored, 3),
    ("/api/v1/notifications/", _monitored, 2),
    ("/api/v1/exports/", _exports, 3),
    ("/api/v1/organisations/", lambda w, n: None, 2),
    ("/api/v1/countries/", lambda w, n: None, 2),
    ("/api/v1/instruments/", lambda w, n: None, 2),
]


def _count(client, url) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize(("url", "make", "pinned"), LISTS, ids=[row[0] for row in LISTS])
def test_list_queries_do_not_grow_with_rows(world, url, make, pinned):
    client = used_client(world.fr_admin)
    make(world, 3)
    few, rows_few = _count(client, url)
    make(world, 60)
    many, rows_many = _count(client, url)
    if make.__name__ != "<lambda>":
        assert rows_many > rows_few
    assert few == many, f"{url}: {few} queries for {rows_few} rows, {many} for {rows_many}"
    assert many == pinned, f"{url}: {many} queries (pinned {pinned})"


def test_timeline_queries_do_not_grow(world):
    client = used_client(world.fr_admin)
    case = CaseFactory(owner=world.ngo_fr)
    for _ in range(3):
        AssuranceFactory(case=case)
        ProceedingFactory(case=case)
    with CaptureQueriesContext(connection) as few:
        client.get(f"/api/v1/cases/{case.pk}/timeline/")
    for _ in range(30):
        AssuranceFactory(case=case)
        ProceedingFactory(case=case)
    with CaptureQueriesContext(connection) as many:
        client.get(f"/api/v1/cases/{case.pk}/timeline/")
    assert len(few.captured_queries) == len(many.captured_queries)
