"""The inbox page: the findings newly shared with the reader's organisations grouped by case,
each with its assurance and outcome in words and the name of the organisation that shared it,
a page at a time, for a number of queries that does not grow with the findings."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Assurance
from cases.models.sharing import TLP, Distribution
from cases.views.base import PAGE_SIZE
from monitoring import services
from monitoring.models import Finding

from ..factories import AssuranceFactory, CaseFactory, SharingGroupFactory
from ..monitoring_helpers import DAY, HOUR, NOW, freeze
from ..web.test_web_monitoring import signed_in

URL = reverse("monitoring:inbox")


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def shared_case(world, reference: str, *, group=None):
    return CaseFactory(owner=world.ngo_fr, reference=reference, tlp=TLP.GREEN,
                       distribution=Distribution.SHARING_GROUP,
                       sharing_group=group or world.fr_de_group, shared_at=NOW - DAY)


def findings_of(case, n: int, *, outcome="breach", type_=Assurance.Type.NO_TORTURE,
                hours_ago=1) -> list[Finding]:
    assurance = AssuranceFactory(case=case, type=type_)
    return [Finding.objects.create(
        case=case, assurance=assurance, outcome=outcome, severity="high", tlp=TLP.GREEN,
        observed_at=NOW - 2 * HOUR, distribution=case.distribution,
        sharing_group=case.sharing_group, shared_at=NOW - (hours_ago + i) * HOUR,
    ) for i in range(n)]


def page_of(user, **params) -> str:
    response = signed_in(user).get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def cases_shown(page: str) -> list[str]:
    return re.findall(r"<h3 [^>]*><a [^>]*>(.*?)</a></h3>", page)


def finding_links(page: str) -> list[str]:
    return re.findall(r'<a href="/findings/[0-9a-f-]+/">', page)


def test_findings_are_grouped_under_their_case_with_assurance_and_outcome_in_words(world):
    later = shared_case(world, "T-2026-B")
    earlier = shared_case(world, "T-2026-A")
    (breach,) = findings_of(later, 1, outcome="breach")
    (denied,) = findings_of(earlier, 1, outcome="access_denied",
                            type_=Assurance.Type.MONITORING_ACCESS)
    page = page_of(world.de_caseworker)
    headings = re.findall(r"<h3 [^>]*>(.*?)</h3>", page)
    assert headings == [
        f'<a href="{reverse("cases:case_detail", args=[earlier.pk])}">T-2026-A</a>',
        f'<a href="{reverse("cases:case_detail", args=[later.pk])}">T-2026-B</a>']
    assert f'<a href="{reverse("monitoring:finding_detail", args=[denied.pk])}">' in page
    assert f'<a href="{reverse("monitoring:finding_detail", args=[breach.pk])}">' in page
    assert "Access denied" in page and "Breach" in page
    assert str(Assurance.Type.MONITORING_ACCESS.label) in page
    assert str(Assurance.Type.NO_TORTURE.label) in page
    assert f"<td>{world.ngo_fr.name}</td>" in page and f"<td>{world.ngo_fr.slug}</td>" not in page
    # Nothing of it for an organisation it was not shared with, nor for its owner.
    for user in (world.it_caseworker, world.fr_caseworker):
        assert "T-2026-A" not in page_of(user)
    assert len(finding_links(page)) == 2


def test_a_finding_passed_on_names_who_passed_it(world):
    de_it = SharingGroupFactory(name="DE-IT", owner=world.ministry_de, members=[world.ngo_it])
    case = CaseFactory(owner=world.ngo_fr, reference="T-2026-N", tlp=TLP.GREEN,
                       distribution=Distribution.NETWORK, shared_at=NOW - DAY)
    (finding,) = findings_of(case, 1)
    Finding.objects.filter(pk=finding.pk).update(
        distribution=Distribution.SHARING_GROUP, sharing_group=world.fr_de_group)
    services.finding_reshare(actor=world.de_liaison, finding=finding,
                             distribution=Distribution.SHARING_GROUP, sharing_group=de_it)
    page = page_of(world.it_caseworker)
    assert "Finding passed on" in page and f"<td>{world.ministry_de.name}</td>" in page
    assert f'<a href="{reverse("monitoring:finding_detail", args=[finding.pk])}">' in page


def test_the_findings_come_a_page_at_a_time_with_each_case_together(world):
    first = shared_case(world, "T-2026-1")
    second = shared_case(world, "T-2026-2")
    findings_of(first, PAGE_SIZE - 2)
    findings_of(second, 5)
    one, two = page_of(world.de_caseworker), page_of(world.de_caseworker, page=2)
    assert cases_shown(one) == ["T-2026-1", "T-2026-2"] and cases_shown(two) == ["T-2026-2"]
    assert len(finding_links(one)) == PAGE_SIZE and len(finding_links(two)) == 3
    assert 'rel="next"' in one and 'rel="prev"' in two
    # The date chosen stays with the pages.
    since = (NOW - 2 * DAY).date().isoformat()
    assert f"since={since}&amp;page=2" in page_of(world.de_caseworker, since=since)


def test_the_inbox_costs_the_same_queries_for_few_findings_as_for_many(world):
    client = signed_in(world.de_caseworker)
    client.get(URL)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx.captured_queries)

    for i in range(2):
        findings_of(shared_case(world, f"T-2026-F{i}"), 2)
    few = count()
    for i in range(12):
        findings_of(shared_case(world, f"T-2026-M{i}"), 4,
                    type_=Assurance.Type.MONITORING_ACCESS)
    assert count() == few
