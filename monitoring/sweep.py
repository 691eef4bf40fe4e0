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

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
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


def _locked(queryset):
    """The rows of `queryset`, locked until the step's transaction ends; rows another sweep
    holds are left to it."""
    return list(queryset.select_for_update(skip_locked=True, of=("self",)))


def _follow_up_alert(kind: str, follow_up: FollowUp):
    # Of the stages, the text may name the window's opening; escalation and missed the due date.
    moments = {"due": follow_up.due_at}
    if kind in (Kind.DUE_SOON, Kind.DUE, Kind.OVERDUE):
        moments["opens"] = follow_up.window_opens_at
    return alert(kind, case_id=follow_up.case_id, reference=follow_up.case.reference,
                 key=_key(kind, follow_up), follow_up_id=follow_up.pk,
                 assignee_id=follow_up.assignee_id, **moments)


def _count(report: SweepReport, kind: str, written: int) -> None:
    if written:
        report.by_kind[kind] += written
        report.notifications += written


def _alert_step(report: SweepReport, kind: str, audience: str, candidates, mark: dict) -> None:
    """Lock the follow-ups of `candidates`, write their `kind` alerts, and `mark` them."""
    with transaction.atomic():
        follow_ups = _locked(candidates.select_related("case").only(
            "id", "case_id", "assignee_id", "due_at", "window_opens_at", "case__reference"))
        if not follow_ups:
            return
        alerts = [_follow_up_alert(kind, follow_up) for follow_up in follow_ups]
        _count(report, kind, write(kind, audience, alerts, report.now))
        FollowUp.objects.filter(pk__in=ids_in([f.pk for f in follow_ups])).update(**mark)


def sweep(now: datetime.datetime | None = None) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport(now=now)
    open_ = FollowUp.OPEN

    # 1. Statuses, each a conditional update: a row moves once, whoever runs the sweep.
    report.became_overdue = FollowUp.objects.filter(
        status__in=(Status.SCHEDULED, Status.DUE), due_at__lte=now
    ).update(status=Status.OVERDUE, updated_at=now)
    report.became_due = FollowUp.objects.filter(
        status=Status.SCHEDULED, window_opens_at__lte=now
    ).update(status=Status.DUE, updated_at=now)

    # 2. Due soon, due, overdue: only the latest stage reached, each once.
    for stage, kind in reversed(STAGES):
        moment = {1: "due_soon_at", 2: "window_opens_at", 3: "due_at"}[stage]
        candidates = FollowUp.objects.filter(
            status__in=open_, alert_stage__lt=stage, **{f"{moment}__lte": now}
        )
        if stage < 3:
            later = {1: "window_opens_at", 2: "due_at"}[stage]
            candidates = candidates.filter(**{f"{later}__gt": now})
        _alert_step(report, kind, "workers", candidates, {"alert_stage": stage})

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
            alerts = [_follow_up_alert(kind, f) for f in late]
            _count(report, kind, write(kind, audience, alerts, now))
            FollowUp.objects.filter(pk__in=ids_in([f.pk for f in late])).update(**mark)


def _missed(now, report: SweepReport) -> int:
    with transaction.atomic():
        follow_ups = _locked(FollowUp.objects.filter(status__in=FollowUp.OPEN, missed_at__lte=now)
                             .select_related("case__subject", "plan"))
        if not follow_ups:
            return 0
        _catch_up(report, follow_ups, now)
        FollowUp.objects.filter(pk__in=ids_in([f.pk for f in follow_ups])).update(
            status=Status.MISSED, updated_at=now)
        services.record_lapses(follow_ups=follow_ups, now=now)
        alerts = [_follow_up_alert(Kind.MISSED, follow_up) for follow_up in follow_ups]
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
    with transaction.atomic():
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
