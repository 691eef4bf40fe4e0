"""The web lists count their rows only as far as the reader has come, plus a reach
(`cases.views.base.CountedSoFar`): within it the count is exact, beyond it the list says
"more than" and still leads on. Only what the user may see is counted either way."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import policy
from cases.models import Case
from cases.models.sharing import TLP
from cases.views import base
from monitoring.models import FollowUp

from ..factories import CaseFactory
from ..monitoring_helpers import freeze
from .test_web_cases import signed_in
from .test_web_monitoring import shared_monitoring


@pytest.fixture
def small_pages(monkeypatch):
    """Pages of two rows, counted four rows at a time."""
    monkeypatch.setattr(base, "PAGE_SIZE", 2)
    monkeypatch.setattr(base.CountedSoFar, "reach", 4)


def _cases(owner, n):
    return [CaseFactory(owner=owner, tlp=TLP.GREEN) for _ in range(n)]


def test_the_count_reads_no_further_than_the_reach(world, monkeypatch):
    monkeypatch.setattr(base.CountedSoFar, "reach", 4)
    _cases(world.ngo_fr, 7)
    rows = Case.objects.order_by("-reference")
    first = base.CountedSoFar(rows, 2, "1")
    with CaptureQueriesContext(connection) as ctx:
        assert first.count == 5
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "LIMIT 5" in sql and "ORDER BY" not in sql
    assert (first.more_than, first.more_than_pages, first.num_pages) == (4, 2, 3)
    # Further on, the reach moves with the reader, a whole step at a time.
    assert base.CountedSoFar(rows, 2, "2").more_than == 4
    third = base.CountedSoFar(rows, 2, "3")
    assert (third.count, third.more_than, third.num_pages) == (7, None, 4)
    # What is not a page number counts as the first page.
    for asked in (None, "", "abc", "-3", "9" * 5000):
        assert base.CountedSoFar(rows, 2, asked).limit == 4
    # Past the last page is the last page, however far.
    far = base.CountedSoFar(rows, 2, "1" + "0" * 30)
    assert (far.count, far.more_than, far.get_page("1" + "0" * 30).number) == (7, None, 4)


def test_the_case_list_says_more_than_and_leads_on(world, small_pages):
    _cases(world.ngo_fr, 7)
    _cases(world.ngo_it, 3)  # an outsider's: never counted for ngo_fr
    client = signed_in(world.fr_caseworker)
    url = reverse("cases:case_list")
    page = client.get(url).content.decode()
    assert "More than 4 cases" in page and "Page 1 of more than 2" in page
    assert 'page=2" rel="next"' in page
    page = client.get(url, {"page": 3}).content.decode()
    assert "7 cases" in page and "Page 3 of 4" in page and "More than" not in page
    page = client.get(url, {"page": 4}).content.decode()
    assert "Page 4 of 4" in page and 'rel="next"' not in page
    page = client.get(url, {"page": "9" * 40}).content.decode()
    assert "Page 4 of 4" in page
    page = signed_in(world.it_caseworker).get(url).content.decode()
    assert "3 cases" in page and "Page 1 of 2" in page and "More than" not in page


def test_the_follow_up_list_says_more_than(world, monkeypatch, time_machine):
    monkeypatch.setattr(base, "PAGE_SIZE", 1)
    monkeypatch.setattr(base.CountedSoFar, "reach", 1)
    freeze(time_machine)
    net = shared_monitoring(world)
    seen = policy.restrict(FollowUp.objects.all(), world.fr_caseworker).count()
    assert seen >= 2, "the fixture's follow-ups"
    client = signed_in(world.fr_caseworker)
    page = client.get(reverse("monitoring:follow_up_list")).content.decode()
    assert "More than 1 follow-ups" in page and net.case.reference in page
    page = client.get(reverse("monitoring:follow_up_list"), {"page": seen}).content.decode()
    assert f"{seen} follow-ups" in page and "More than" not in page
