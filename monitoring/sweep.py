"""The reminder sweep: the database is the source of truth, the sweep only catches up with it.

Each run moves follow-ups along (scheduled → due → overdue → missed) with conditional updates
and writes one Notification per alert and recipient under a unique deduplication key, so an
alert is written once however many sweeps, workers or retries run, and a sweep after downtime
writes exactly what came due meanwhile. Of the stages due soon, due and overdue only the
latest one reached is written: after a week of downtime an overdue check gets "overdue", not
three stale messages. Escalation, missed and silence alerts stand on their own.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_noop

from cases.models import Membership
from cases.models.sharing import TLP

from . import services
from .models import FollowUp, MonitoringPlan, Notification
from .services.notifications import with_email_preferences

Status = FollowUp.Status
Kind = Notification.Kind
CHUNK = 1000

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


def _chunks(queryset):
    ids = list(queryset.values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class Recipients:
    """Who of the owning organisation hears of a case: read once per sweep chunk."""

    def __init__(self, cases):
        org_ids = {case.owner_id for case in cases}
        self.by_role: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.members: set[tuple[int, int]] = set()
        for org_id, role, user_id in Membership.objects.filter(
            organisation_id__in=org_ids, user__is_active=True
        ).values_list("organisation_id", "role", "user_id"):
            self.by_role[(org_id, role)].append(user_id)
            self.members.add((org_id, user_id))
        red = [case.pk for case in cases if case.tlp == TLP.RED]
        self.red_named: dict = defaultdict(set)
        if red:
            through = cases[0].named_recipients.through
            for case_id, user_id in through.objects.filter(case_id__in=red).values_list(
                "case_id", "user_id"
            ):
                self.red_named[case_id].add(user_id)

    def _allowed(self, case, users) -> list[int]:
        # Only active members of the owner; a TLP:RED case reaches only its named people.
        users = list(dict.fromkeys(u for u in users if (case.owner_id, u) in self.members))
        if case.tlp == TLP.RED:
            users = [u for u in users if u in self.red_named[case.pk]]
        return users

    def workers(self, case, assignee_id) -> list[int]:
        # An assignee who left the organisation is replaced by its caseworkers and admins.
        if (case.owner_id, assignee_id) in self.members:
            return self._allowed(case, [assignee_id])
        return self._allowed(
            case,
            self.by_role[(case.owner_id, Membership.Role.CASEWORKER)]
            + self.by_role[(case.owner_id, Membership.Role.ORG_ADMIN)],
        )

    def escalation(self, case, assignee_id) -> list[int]:
        return self._allowed(
            case,
            [assignee_id]
            + self.by_role[(case.owner_id, Membership.Role.ORG_ADMIN)]
            + self.by_role[(case.owner_id, Membership.Role.LIAISON)],
        )


# Stored in English, and written in each reader's language when shown or sent (the case's
# reference only, never a name: e-mails leave the system).
_TEXT = {
    Kind.DUE_SOON: gettext_noop(
        "A follow-up on case %(ref)s opens on %(opens)s; it is due by %(due)s."),
    Kind.DUE: gettext_noop("A follow-up on case %(ref)s is due now, by %(due)s."),
    Kind.OVERDUE: gettext_noop("A follow-up on case %(ref)s was due by %(due)s and has no "
                               "report."),
    Kind.ESCALATION: gettext_noop("A follow-up on case %(ref)s is overdue since %(due)s: "
                                  "escalated to you."),
    Kind.MISSED: gettext_noop("A follow-up on case %(ref)s due by %(due)s was missed: "
                              "monitoring has lapsed."),
    Kind.SILENCE: gettext_noop("No check with access to the person of case %(ref)s since "
                               "%(since)s."),
}


def _notification(kind, user_id, case, key: str, follow_up=None,
                  **moments: datetime.datetime):
    """One alert; `moments` fill its text (`due`, `opens`, `since`)."""
    args = {"ref": case.reference}
    english = {**args, **{name: _when(moment) for name, moment in moments.items()}}
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"{Notification.EMAIL_PREFIX}{Kind(kind).label}: {case.reference}"
    return Notification(
        recipient_id=user_id,
        kind=kind,
        case=case,
        follow_up=follow_up,
        dedup_key=f"{key}:{user_id}",
        subject=subject,
        body=_TEXT[kind] % english,
        params=Notification.params_of(body=_TEXT[kind], args=args, dates=moments),
    )


def _write(rows: list[Notification], report: SweepReport) -> None:
    if not rows:
        return
    keys = [row.dedup_key for row in rows]
    before = set(Notification.objects.filter(dedup_key__in=keys).values_list("dedup_key",
                                                                               flat=True))
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    for row in rows:
        if row.dedup_key not in before:
            report.by_kind[row.kind] += 1
            report.notifications += 1


def _key(kind: str, follow_up: FollowUp) -> str:
    """Once per follow-up, kind and due date: a rescheduled follow-up is reminded anew."""
    return f"{kind}:{follow_up.pk}:{int(follow_up.due_at.timestamp())}"


def _when(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _follow_up_alerts(queryset, report: SweepReport, build):
    """Write the alerts `build` makes for each follow-up of `queryset`, a chunk at a time, and
    yield each chunk's ids once its alerts are written."""
    for ids in _chunks(queryset):
        follow_ups = list(FollowUp.objects.filter(pk__in=ids).select_related("case"))
        recipients = Recipients([f.case for f in follow_ups])
        rows = [row for follow_up in follow_ups for row in build(follow_up, recipients)]
        with_email_preferences(rows)
        with transaction.atomic():
            _write(rows, report)
        yield ids


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

        def build(follow_up, recipients, kind=kind):
            return [
                _notification(
                    kind, user, follow_up.case, _key(kind, follow_up), follow_up,
                    due=follow_up.due_at, opens=follow_up.window_opens_at,
                )
                for user in recipients.workers(follow_up.case, follow_up.assignee_id)
            ]

        for ids in _follow_up_alerts(candidates, report, build):
            FollowUp.objects.filter(pk__in=ids, alert_stage__lt=stage).update(alert_stage=stage)

    # 3. Escalation to the organisation's admins and liaisons.
    def escalate(follow_up, recipients):
        return [
            _notification(
                Kind.ESCALATION, user, follow_up.case, _key(Kind.ESCALATION, follow_up),
                follow_up, due=follow_up.due_at,
            )
            for user in recipients.escalation(follow_up.case, follow_up.assignee_id)
        ]

    escalations = FollowUp.objects.filter(status__in=open_, escalated=False, escalate_at__lte=now)
    for ids in _follow_up_alerts(escalations, report, escalate):
        FollowUp.objects.filter(pk__in=ids).update(escalated=True)

    # 4. Missed: a lapse finding, an alert, and the next regular check.
    report.missed = _missed(now, report)

    # 5. Silence: no check with access granted within the plan's interval.
    _silence(now, report)
    return report


def _missed(now, report: SweepReport) -> int:
    count = 0
    for ids in _chunks(FollowUp.objects.filter(status__in=FollowUp.OPEN, missed_at__lte=now)):
        for follow_up in FollowUp.objects.filter(pk__in=ids).select_related("case", "plan"):
            with transaction.atomic():
                claimed = FollowUp.objects.filter(
                    pk=follow_up.pk, status__in=FollowUp.OPEN
                ).update(status=Status.MISSED, updated_at=now)
                if not claimed:
                    continue
                count += 1
                services.record_lapse(follow_up=follow_up, now=now)
                recipients = Recipients([follow_up.case])
                rows = [
                    _notification(Kind.MISSED, user, follow_up.case, _key(Kind.MISSED, follow_up),
                                  follow_up, due=follow_up.due_at)
                    for user in recipients.escalation(follow_up.case, follow_up.assignee_id)
                ]
                with_email_preferences(rows)
                _write(rows, report)
                plan = follow_up.plan
                if (
                    plan is not None
                    and follow_up.kind in (FollowUp.Kind.FIRST_VISIT, FollowUp.Kind.CADENCE)
                    and not FollowUp.objects.filter(
                        plan=plan, kind=FollowUp.Kind.CADENCE, status__in=FollowUp.OPEN
                    ).exists()
                ):
                    services.schedule_next(plan=plan, after=now)
    return count


def _silence(now, report: SweepReport) -> None:
    """One alarm per plan each time its silence deadline passes; while the silence lasts the
    deadline moves on by the phase's interval, so it rings again an interval later."""
    plans = MonitoringPlan.objects.filter(active=True, silence_due_at__lte=now)
    for ids in _chunks(plans):
        plans_chunk = list(MonitoringPlan.objects.filter(pk__in=ids).select_related("case"))
        recipients = Recipients([plan.case for plan in plans_chunk])
        for plan in plans_chunk:
            since = plan.last_access_at or plan.day_zero
            key = f"silence:{plan.pk}:{plan.silence_due_at.isoformat()}"
            users = recipients.escalation(plan.case, None) + recipients.workers(plan.case, None)
            rows = [
                _notification(Kind.SILENCE, user, plan.case, key, since=since)
                for user in dict.fromkeys(users)
            ]
            with_email_preferences(rows)
            interval = datetime.timedelta(days=plan.cadence["windows"][plan.custody_phase][1])
            with transaction.atomic():
                moved = MonitoringPlan.objects.filter(
                    pk=plan.pk, silence_due_at=plan.silence_due_at
                ).update(silence_due_at=now + interval)
                if moved:
                    _write(rows, report)
