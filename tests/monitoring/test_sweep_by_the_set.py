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


def test_the_alert_of_a_stage_moves_the_status_and_each_move_is_counted_once(world):
    """Due and overdue alerts move their follow-ups' status in the same update; what they did
    not move (alerted before, yet behind) the status step moves; a second sweep moves none."""
    case = monitored_case(world, surrender=TODAY - 10 * DAY)
    opening = ad_hoc(world, case, opens=NOW - 1 * DAY, due=NOW + 1 * DAY)
    late = ad_hoc(world, case, opens=NOW - 5 * DAY, due=NOW - 1 * DAY)
    ahead = ad_hoc(world, case, opens=NOW + 1 * DAY, due=NOW + 2 * DAY)
    # Alerted at its stage by an earlier sweep whose status step never ran.
    behind = ad_hoc(world, case, opens=NOW - 1 * DAY, due=NOW + 3 * DAY)
    FollowUp.objects.filter(pk=behind.pk).update(alert_stage=2)

    report = sweep(now=NOW)

    statuses = dict(FollowUp.objects.filter(
        pk__in=[opening.pk, late.pk, ahead.pk, behind.pk]).values_list("pk", "status"))
    assert statuses == {opening.pk: "due", late.pk: "overdue", ahead.pk: "scheduled",
                        behind.pk: "due"}
    # Every follow-up of the case was scheduled before; the plan's first visit is overdue too.
    moved = FollowUp.objects.filter(case=case).values_list("status", flat=True)
    assert (report.became_due, report.became_overdue) == (
        list(moved).count("due"), list(moved).count("overdue")) == (2, 2)
    assert Notification.objects.filter(follow_up=behind).count() == 0
    again = sweep(now=NOW)
    assert (again.became_due, again.became_overdue, again.notifications) == (0, 0, 0)
