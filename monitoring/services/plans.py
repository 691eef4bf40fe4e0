"""Monitoring plans: the schedule of checks from a surrender, its phases, hearings, closure."""

from __future__ import annotations

import datetime
from typing import Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.models import Case, Membership, ProceedingEvent
from cases.policy import Action
from cases.services import Actor, declared, require_version, versioned_update

from .. import cadence as cadences
from ..models import FollowUp, MonitoringPlan, MonitoringSettings
from .common import DAY, AuditAction, Kind, Status, _require_monitoring, _start_of


def _moments(plan: MonitoringPlan | None, window_opens_at, due_at) -> dict[str, Any]:
    """The alert moments of a follow-up, from its window and the plan's settings."""
    soon = plan.due_soon_days if plan else 3
    grace = plan.escalation_days if plan else 7
    missed = plan.missed_after_days if plan else 14
    return {
        "window_opens_at": window_opens_at,
        "due_at": due_at,
        "due_soon_at": window_opens_at - soon * DAY,
        "escalate_at": due_at + grace * DAY,
        "missed_at": due_at + max(missed, grace + 1) * DAY,
    }


def _new_follow_up(plan: MonitoringPlan, kind: str, window_opens_at, due_at, **extra) -> FollowUp:
    return FollowUp(
        case_id=plan.case_id,
        plan=plan,
        kind=kind,
        **_moments(plan, window_opens_at, due_at),
        **extra,
    )


def _window(plan: MonitoringPlan) -> list[int]:
    return plan.cadence["windows"][plan.custody_phase]


def schedule_next(*, plan: MonitoringPlan, after: datetime.datetime) -> FollowUp | None:
    """The next regular check, counted from `after` by the current phase's window."""
    if not plan.active:
        return None
    earliest, latest = _window(plan)
    follow_up = _new_follow_up(
        plan, Kind.CADENCE, after + earliest * DAY, after + latest * DAY,
        assignee_id=_last_assignee(plan),
    )
    follow_up.save()
    return follow_up


def schedule_next_after_lapses(*, plans: list[MonitoringPlan], after: datetime.datetime
                               ) -> list[FollowUp]:
    """`schedule_next` for each active plan of `plans` that has no open regular check (their
    checks just lapsed): a few statements however many plans."""
    plans = [plan for plan in plans if plan.active]
    busy = set(FollowUp.objects.filter(
        plan_id__in=[plan.pk for plan in plans], kind=Kind.CADENCE, status__in=FollowUp.OPEN,
    ).values_list("plan_id", flat=True))
    plans = [plan for plan in plans if plan.pk not in busy]
    if not plans:
        return []
    last: dict = {}
    for plan_id, assignee_id in FollowUp.objects.filter(
        plan_id__in=[plan.pk for plan in plans], assignee__isnull=False,
    ).order_by("plan_id", "-created_at").values_list("plan_id", "assignee_id"):
        last.setdefault(plan_id, assignee_id)
    defaults = default_assignees([plan.case for plan in plans if plan.pk not in last])
    follow_ups = []
    for plan in plans:
        earliest, latest = _window(plan)
        follow_ups.append(_new_follow_up(
            plan, Kind.CADENCE, after + earliest * DAY, after + latest * DAY,
            assignee_id=last.get(plan.pk) or defaults.get(plan.case_id)))
    return FollowUp.objects.bulk_create(follow_ups)


def _last_assignee(plan: MonitoringPlan) -> int | None:
    return (
        FollowUp.objects.filter(plan=plan, assignee__isnull=False)
        .order_by("-created_at")
        .values_list("assignee_id", flat=True)
        .first()
    ) or default_assignee(plan.case)


def default_assignee(case: Case) -> int | None:
    """Who a new follow-up of the case goes to: its caseworker, else the member the
    organisation's settings name; either only while still a member."""
    return default_assignees([case]).get(case.pk)


def default_assignees(cases: list[Case]) -> dict[int, int | None]:
    """`default_assignee` of each of `cases`, by case id, in two queries."""
    named = dict(MonitoringSettings.objects.filter(
        organisation_id__in={case.owner_id for case in cases}).values_list(
        "organisation_id", "default_assignee_id"))
    candidates = {case.pk: [pk for pk in (case.caseworker_id, named.get(case.owner_id))
                            if pk is not None] for case in cases}
    members = set(Membership.objects.filter(
        organisation_id__in={case.owner_id for case in cases},
        user_id__in={pk for pks in candidates.values() for pk in pks},
    ).values_list("organisation_id", "user_id"))
    return {case.pk: next((pk for pk in candidates[case.pk] if (case.owner_id, pk) in members),
                          None) for case in cases}


def _silence_due(plan: MonitoringPlan, since: datetime.datetime) -> datetime.datetime:
    return since + _window(plan)[1] * DAY


def plan_for_case(*, actor: Actor, case: Case) -> MonitoringPlan:
    """The plan that starts when a case moves to monitoring: first private visit from day 0."""
    existing = MonitoringPlan.objects.filter(case=case).first()
    if existing is not None:
        return existing
    org_settings = MonitoringSettings.objects.filter(organisation_id=case.owner_id).first()
    profile = org_settings.profile if org_settings else cadences.Profile.STANDARD
    cadence = (
        cadences.normalise(org_settings.cadence)
        if org_settings and profile == cadences.Profile.CUSTOM
        else cadences.preset(profile)
    )
    day_zero = _start_of(case.surrender_date)
    first_due = day_zero + datetime.timedelta(hours=cadence["first_visit_hours"])
    with transaction.atomic():
        plan = MonitoringPlan.objects.create(
            case=case,
            profile=profile,
            cadence=cadence,
            day_zero=day_zero,
            phase_since=day_zero,
            silence_due_at=first_due,
            **(
                {
                    "due_soon_days": org_settings.due_soon_days,
                    "escalation_days": org_settings.escalation_days,
                    "missed_after_days": org_settings.missed_after_days,
                }
                if org_settings
                else {}
            ),
        )
        _new_follow_up(plan, Kind.FIRST_VISIT, day_zero, first_due,
                       assignee_id=default_assignee(case)).save()
        audit.record(actor, AuditAction.CREATE, plan, organisation_id=case.owner_id)
    return plan


class PlanChanges(TypedDict, total=False):
    """When a plan's alerts come, in days."""

    due_soon_days: int
    escalation_days: int
    missed_after_days: int


def plan_update(
    *,
    actor: Actor,
    plan: MonitoringPlan,
    version: int | None,
    profile: str | None = None,
    cadence: dict | None = None,
    **changes: Unpack[PlanChanges],
) -> MonitoringPlan:
    """Change a case's cadence (a case may override its organisation's default)."""
    _require_monitoring(actor, plan.case, Action.CHANGE)
    written: dict[str, Any] = declared(changes, PlanChanges)
    require_version(version)
    if profile is not None:
        written["profile"] = profile
        if profile == cadences.Profile.CUSTOM:
            if cadence is None:
                raise ValidationError({"cadence": _("A custom profile needs a cadence.")})
            written["cadence"] = cadences.validate(cadence)
        else:
            if cadence is not None:
                raise ValidationError({"cadence": _("Only the custom profile takes a cadence.")})
            written["cadence"] = cadences.preset(profile)
    elif cadence is not None:
        raise ValidationError({"profile": _("Name the profile 'custom' to set a cadence.")})
    with transaction.atomic():
        versioned_update(plan, version, written)
        audit.record(actor, AuditAction.UPDATE, plan, changed_fields=sorted(written),
                     organisation_id=plan.case.owner_id)
    return plan


def phase_change(
    *, actor: Actor, plan: MonitoringPlan, phase: str, on: datetime.datetime | None = None
) -> MonitoringPlan:
    """A new custody phase: the open regular check is replaced by one on the new cadence."""
    _require_monitoring(actor, plan.case, Action.CHANGE)
    if phase not in cadences.CustodyPhase.values:
        raise ValidationError({"phase": _("Unknown phase. Choose one of: %(phases)s.") % {
            "phases": ", ".join(cadences.CustodyPhase.values)}})
    on = on or timezone.now()
    if on > timezone.now() + datetime.timedelta(minutes=5):
        raise ValidationError({"date": _("This date is in the future.")})
    if on < plan.phase_since:
        raise ValidationError({"date": _("The current phase began later than this date.")})
    if not plan.active:
        raise ValidationError({"phase": _("Monitoring of this case is closed.")})
    with transaction.atomic():
        before = plan.custody_phase
        plan.custody_phase, plan.phase_since = phase, on
        plan.version += 1
        plan.save(update_fields=["custody_phase", "phase_since", "version", "updated_at"])
        FollowUp.objects.filter(plan=plan, kind=Kind.CADENCE, status__in=FollowUp.OPEN).update(
            status=Status.CANCELLED, updated_at=on, version=F("version") + 1
        )
        schedule_next(plan=plan, after=on)
        audit.record(actor, AuditAction.UPDATE, plan, changed_fields=["custody_phase"],
                     detail={"from": before, "to": phase}, organisation_id=plan.case.owner_id)
    return plan


def close_plan(*, actor: Actor, case: Case) -> None:
    plan = MonitoringPlan.objects.filter(case=case, active=True).first()
    if plan is None:
        return
    with transaction.atomic():
        MonitoringPlan.objects.filter(pk=plan.pk).update(active=False, version=F("version") + 1)
        FollowUp.objects.filter(plan=plan, status__in=FollowUp.OPEN).update(
            status=Status.CANCELLED, updated_at=timezone.now(), version=F("version") + 1
        )
        audit.record(actor, AuditAction.UPDATE, plan, changed_fields=["active"],
                     organisation_id=case.owner_id)


def hearing_recorded(*, actor: Actor, proceeding: ProceedingEvent) -> list[FollowUp]:
    """A coming hearing on a monitored case: attend it, and check within days after it."""
    if proceeding.kind != ProceedingEvent.Kind.HEARING:
        return []
    plan = MonitoringPlan.objects.filter(case_id=proceeding.case_id, active=True).first()
    if plan is None or proceeding.date < timezone.localdate():
        return []
    start = _start_of(proceeding.date)
    after = plan.cadence["hearing_followup_days"]
    assignee_id = _last_assignee(plan)
    follow_ups = [
        _new_follow_up(plan, Kind.HEARING, start, start + DAY - datetime.timedelta(seconds=1),
                       mode=FollowUp.Mode.TRIAL_ATTENDANCE, hearing=proceeding,
                       assignee_id=assignee_id),
        _new_follow_up(plan, Kind.AFTER_HEARING, start + DAY, start + (after + 1) * DAY,
                       hearing=proceeding, assignee_id=assignee_id),
    ]
    with transaction.atomic():
        FollowUp.objects.bulk_create(follow_ups)
        audit.record_many(
            [audit.Entry(actor, AuditAction.CREATE, f, organisation_id=plan.case.owner_id)
             for f in follow_ups]
        )
    return follow_ups
