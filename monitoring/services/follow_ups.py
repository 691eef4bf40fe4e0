"""Follow-ups added, changed or cancelled by hand, beside the plan's cadence."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.models import Case, Membership
from cases.policy import Action
from cases.services import require_version, versioned_update

from ..models import FollowUp, MonitoringPlan
from .common import AuditAction, Kind, Status, _require_monitoring
from .plans import _moments, schedule_next


def _check_assignee(case: Case, assignee) -> None:
    if assignee is not None and not Membership.objects.filter(
        organisation_id=case.owner_id, user=assignee
    ).exists():
        raise ValidationError(
            {"assignee": _("The assignee must be a member of your organisation.")}
        )


def follow_up_create(
    *, actor, case: Case, due_at: datetime.datetime, window_opens_at=None, mode=FollowUp.Mode.VISIT,
    assignee=None, note: str = "",
) -> FollowUp:
    """An ad hoc check, beside the plan's cadence."""
    _require_monitoring(actor, case)
    _check_assignee(case, assignee)
    if case.status == Case.Status.MONITORING_CLOSED:
        raise ValidationError({"case": _("Monitoring of this case is closed.")})
    if due_at < timezone.now():
        raise ValidationError({"due_at": _("A new follow-up is due in the future.")})
    window_opens_at = window_opens_at or min(due_at, timezone.now())
    if window_opens_at > due_at:
        raise ValidationError({"window_opens_at": _("The window opens before the due date.")})
    plan = MonitoringPlan.objects.filter(case=case).first()
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            case=case, plan=plan, kind=Kind.AD_HOC, mode=mode, assignee=assignee, note=note,
            **_moments(plan, window_opens_at, due_at),
        )
        audit.record(actor, AuditAction.CREATE, follow_up)
    return follow_up


def follow_up_update(*, actor, follow_up: FollowUp, version: int | None, **changes) -> FollowUp:
    """Reassign, change the mode or note, reschedule, or cancel a follow-up."""
    _require_monitoring(actor, follow_up.case, Action.CHANGE)
    require_version(version)
    if follow_up.status not in FollowUp.OPEN:
        raise ValidationError({"status": _("Only an open follow-up can be changed.")})
    if "assignee" in changes:
        _check_assignee(follow_up.case, changes["assignee"])
    status = changes.pop("status", None)
    if status is not None:
        if status != Status.CANCELLED:
            raise ValidationError({"status": _("A follow-up can only be cancelled by hand.")})
        changes["status"] = status
    if "due_at" in changes or "window_opens_at" in changes:
        opens = changes.pop("window_opens_at", follow_up.window_opens_at)
        due = changes.pop("due_at", follow_up.due_at)
        if opens > due:
            raise ValidationError({"window_opens_at": _("The window opens before the due date.")})
        changes.update(_moments(follow_up.plan, opens, due), alert_stage=0, escalated=False)
        if status is None:
            changes["status"] = Status.SCHEDULED
    with transaction.atomic():
        versioned_update(follow_up, version, changes, status__in=FollowUp.OPEN)
        audit.record(actor, AuditAction.UPDATE, follow_up, changed_fields=sorted(changes))
        if status == Status.CANCELLED and follow_up.kind in (Kind.CADENCE, Kind.FIRST_VISIT):
            schedule_next(follow_up.plan, timezone.now())
    return follow_up
