"""The sweep works by the set: its statements do not grow with the number of cases whose
follow-ups need an alert, a lapse or a silence alarm (each kind is one INSERT … SELECT).

The clock is frozen at NOW; the sweep is always told the moment it runs at."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Assurance
from monitoring.models import Finding, FollowUp, Notification
from monitoring.sweep import sweep

from ..factories import AssuranceFactory
from ..monitoring_helpers import DAY, NOW, TODAY, ad_hoc, freeze, monitored_case


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


class _Undo(Exception):
    pass


def _week_of_downtime(world, cases: int) -> tuple[int, dict]:
    """Statements of the sweep a week after the last one, over `cases` cases each with a
    follow-up at every stage, and what it wrote; everything is rolled back afterwards."""
    outcome = {}
    try:
        with transaction.atomic():
            for _ in range(cases):
                # The first visit (due two days after the surrender) lapses in the week.
                case = monitored_case(world, surrender=TODAY - 10 * DAY)
                AssuranceFactory(case=case, type=Assurance.Type.MONITORING_ACCESS)
                for opens, due in ((1, 2), (-1, 1), (-5, -1), (-12, -10), (5, 6)):
                    ad_hoc(world, case, opens=NOW + opens * DAY, due=NOW + due * DAY)
            sweep(now=NOW)
            with CaptureQueriesContext(connection) as queries:
                report = sweep(now=NOW + 7 * DAY)
            outcome = {
                "by_kind": dict(report.by_kind),
                "missed": report.missed,
                "lapses": Finding.objects.filter(outcome="monitoring_lapsed").count(),
                "next checks": FollowUp.objects.filter(kind="cadence").count(),
                "rows": Notification.objects.count(),
            }
            raise _Undo
    except _Undo:
        pass
    return len(queries), outcome


def test_a_sweep_costs_the_same_statements_for_one_case_or_four(world):
    one, of_one = _week_of_downtime(world, 1)
    four, of_four = _week_of_downtime(world, 4)

    assert set(of_one["by_kind"]) == {"overdue", "escalation", "missed", "silence"}
    assert {kind: count * 4 for kind, count in of_one["by_kind"].items()} == of_four["by_kind"]
    # The first visit and the oldest ad hoc check lapse, and the plan's next check is made.
    assert (of_one["missed"], of_four["missed"]) == (2, 8)
    assert (of_one["lapses"], of_four["lapses"]) == (2, 8)
    assert (of_one["next checks"], of_four["next checks"]) == (1, 4)
    assert one == four
