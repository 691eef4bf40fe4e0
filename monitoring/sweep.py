"""The reminder sweep: the database is the source of truth, the sweep only catches up with it.

Each run moves follow-ups along (scheduled → due → overdue → missed) with conditional updates
and writes one Notification per alert and recipient under a unique deduplication key, so an
alert is written once however many sweeps, workers or retries run, and a sweep after downtime
writes exactly what came due meanwhile. It works by the set: each step locks the rows it acts
on (skipping rows another sweep holds), writes their alerts in one statement per kind
(sweep_alerts.py) and marks them in one more, so the statements of a sweep do not grow with
the number of cases. Of the stages due soon, due and overdue only the
latest one reached is written: after a week of downtime an overdue check gets "overdue", not
three stale messages. Escalation, missed and silence alerts stand on their own.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from . import services
from .models import FollowUp, MonitoringPlan, Notification
from .sweep_alerts import _TEXT, alert, ids_in, write

Status = FollowUp.Status
Kind = Notification.Kind

# Periodic work of other apps that an operator's sweep (`manage.py monitoring_sweep`) runs
# too, after the delivery: (name, job), each job returning what it did. Beat runs them on
# schedules of their own.
SWEEP_JOBS: list[tuple[str, Callable[[], object]]] = []


def register_sweep_job(name: str, job: Callable[[], object]) -> None:
    if (name, job) not in SWEEP_JOBS:
        SWEEP_JOBS.append((name, job))


# alert_stage values, in the order they are reached.
STAGES = [(1, Kind.DUE_SOON), (2, Kind.DUE), (3, Kind.OVERDUE)]


@dataclass
class SweepReport:
    now: datetime.datetime
    became_due: int = 0
    became_overdue: int = 0
    missed: int = 0
    notifications: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))


def _key(kind: str, follow_up) -> str:
    """Once per follow-up, kind and due date: a rescheduled follow-up is reminded anew."""
    return f"{kind}:{follow_up.pk}:{int(follow_up.due_at.timestamp())}"


@contextlib.contextmanager
def _step():
    """A step's transaction. On PostgreSQL its commit does not wait for the write-ahead log to
    reach the disk (asynchronous commit; a commit costs several milliseconds here against a
    fraction of one). A crash may then lose the last steps of a sweep, whole, never a part of
    one; the next sweep redoes them from the follow-ups' state, with the same once-only keys.
    Nothing leaves before it is durable: delivery's own commits wait for the log, and so flush
    the sweep's earlier ones before any message is sent."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _locked(queryset):
    """The rows of `queryset`, locked until the step's transaction ends; rows another sweep
    holds are left to it."""
    return list(queryset.select_for_update(skip_locked=True, of=("self",)))


class _Due(NamedTuple):
    """What an alert step reads of a follow-up: plain values, not a model instance each."""

    pk: uuid.UUID
    case_id: uuid.UUID
    assignee_id: int | None
    due_at: datetime.datetime
    window_opens_at: datetime.datetime
    status: str
    reference: str


# The status an alert of a stage also moves a follow-up to, from those behind it, and the
# report's count of such moves.
_MOVES = {Kind.DUE: ((Status.SCHEDULED,), Status.DUE, "became_due"),
          Kind.OVERDUE: ((Status.SCHEDULED, Status.DUE), Status.OVERDUE, "became_overdue")}


def _follow_up_alert(kind: str, follow_up, reference: str):
    # Of the stages, the text may name the window's opening; escalation and missed the due date.
    moments = {"due": follow_up.due_at}
    if kind in (Kind.DUE_SOON, Kind.DUE, Kind.OVERDUE):
        moments["opens"] = follow_up.window_opens_at
    return alert(kind, case_id=follow_up.case_id, reference=reference,
                 key=_key(kind, follow_up), follow_up_id=follow_up.pk,
                 assignee_id=follow_up.assignee_id, **moments)


def _count(report: SweepReport, kind: str, written: int) -> None:
    if written:
        report.by_kind[kind] += written
        report.notifications += written


def _alert_step(report: SweepReport, kind: str, audience: str, candidates, mark: dict) -> None:
    """Lock the follow-ups of `candidates`, write their `kind` alerts, and `mark` them; a
    stage's alert also moves the status of those behind it (one new version of each row, not
    two)."""
    with _step():
        follow_ups = [_Due(*row) for row in _locked(candidates.values_list(
            "id", "case_id", "assignee_id", "due_at", "window_opens_at", "status",
            "case__reference"))]
        if not follow_ups:
            return
        alerts = [_follow_up_alert(kind, f, f.reference) for f in follow_ups]
        _count(report, kind, write(kind, audience, alerts, report.now))
        behind, to, counter = _MOVES.get(kind, ((), None, None))
        moving = [f.pk for f in follow_ups if f.status in behind]
        if moving:
            moved = FollowUp.objects.filter(pk__in=ids_in(moving)).update(
                status=to, updated_at=report.now, **mark)
            setattr(report, counter, getattr(report, counter) + moved)
        staying = [f.pk for f in follow_ups if f.status not in behind]
        if staying:
            FollowUp.objects.filter(pk__in=ids_in(staying)).update(**mark)


def sweep(now: datetime.datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport(now=now)
    open_ = FollowUp.OPEN

    # 1. Due soon, due, overdue: only the latest stage reached, each once.
    for stage, kind in reversed(STAGES):
        moment = {1: "due_soon_at", 2: "window_opens_at", 3: "due_at"}[stage]
        candidates = FollowUp.objects.filter(
            status__in=open_, alert_stage__lt=stage, **{f"{moment}__lte": now}
        )
        if stage < 3:
            later = {1: "window_opens_at", 2: "due_at"}[stage]
            candidates = candidates.filter(**{f"{later}__gt": now})
        _alert_step(report, kind, "workers", candidates, {"alert_stage": stage})

    # 2. Statuses the alerts did not move (alerted before, or held by another sweep), each a
    # conditional update: a row moves once, whoever runs the sweep.
    with _step():
        report.became_overdue += FollowUp.objects.filter(
            status__in=(Status.SCHEDULED, Status.DUE), due_at__lte=now
        ).update(status=Status.OVERDUE, updated_at=now)
        report.became_due += FollowUp.objects.filter(
            status=Status.SCHEDULED, window_opens_at__lte=now
        ).update(status=Status.DUE, updated_at=now)

    # 3. Escalation to the organisation's admins and liaisons.
    _alert_step(report, Kind.ESCALATION, "escalation",
                FollowUp.objects.filter(status__in=open_, escalated=False, escalate_at__lte=now),
                {"escalated": True})

    # 4. Missed: a lapse finding, an alert, and the next regular check.
    report.missed = _missed(now, report)

    # 5. Silence: no check with access granted within the plan's interval.
    _silence(now, report)
    return report


def _catch_up(report: SweepReport, follow_ups: list, now) -> None:
    """The overdue and escalation alerts of follow-ups about to lapse that have not had them:
    a second sweep running beside this one may have skipped them in its own steps while this
    one held them, and once lapsed they are no longer open to those steps. Once-only keys keep
    them single."""
    for kind, audience, pending, mark in (
        (Kind.OVERDUE, "workers", lambda f: f.alert_stage < 3 and f.due_at <= now,
         {"alert_stage": 3}),
        (Kind.ESCALATION, "escalation",
         lambda f: not f.escalated and f.escalate_at is not None and f.escalate_at <= now,
         {"escalated": True}),
    ):
        late = [f for f in follow_ups if pending(f)]
        if late:
            alerts = [_follow_up_alert(kind, f, f.case.reference) for f in late]
            _count(report, kind, write(kind, audience, alerts, now))
            FollowUp.objects.filter(pk__in=ids_in([f.pk for f in late])).update(**mark)


def _missed(now, report: SweepReport) -> int:
    with _step():
        follow_ups = _locked(FollowUp.objects.filter(status__in=FollowUp.OPEN, missed_at__lte=now)
                             .select_related("case__subject", "plan"))
        if not follow_ups:
            return 0
        _catch_up(report, follow_ups, now)
        FollowUp.objects.filter(pk__in=ids_in([f.pk for f in follow_ups])).update(
            status=Status.MISSED, updated_at=now)
        services.record_lapses(follow_ups=follow_ups, now=now)
        alerts = [_follow_up_alert(Kind.MISSED, f, f.case.reference) for f in follow_ups]
        _count(report, Kind.MISSED, write(Kind.MISSED, "escalation", alerts, now))
        plans = {}
        for follow_up in follow_ups:
            if follow_up.plan is not None and follow_up.kind in (FollowUp.Kind.FIRST_VISIT,
                                                                 FollowUp.Kind.CADENCE):
                follow_up.plan.case = follow_up.case
                plans[follow_up.plan_id] = follow_up.plan
        services.schedule_next_after_lapses(plans=list(plans.values()), after=now)
    return len(follow_ups)


def _silence(now, report: SweepReport) -> None:
    """One alarm per plan each time its silence deadline passes; while the silence lasts the
    deadline moves on by the phase's interval, so it rings again an interval later."""
    with _step():
        plans = _locked(MonitoringPlan.objects.filter(active=True, silence_due_at__lte=now)
                        .select_related("case").only(
                            "id", "case_id", "case__reference", "silence_due_at",
                            "last_access_at", "day_zero", "cadence", "custody_phase"))
        if not plans:
            return
        alerts = [
            alert(Kind.SILENCE, case_id=plan.case_id, reference=plan.case.reference,
                  key=f"silence:{plan.pk}:{plan.silence_due_at.isoformat()}",
                  since=plan.last_access_at or plan.day_zero)
            for plan in plans
        ]
        _count(report, Kind.SILENCE, write(Kind.SILENCE, "everyone_but_auditors", alerts, now))
        by_interval = defaultdict(list)
        for plan in plans:
            by_interval[plan.cadence["windows"][plan.custody_phase][1]].append(plan.pk)
        for days, ids in by_interval.items():
            MonitoringPlan.objects.filter(pk__in=ids_in(ids)).update(
                silence_due_at=now + datetime.timedelta(days=days))


__all__ = ["SWEEP_JOBS", "STAGES", "SweepReport", "_TEXT", "register_sweep_job", "sweep"]
