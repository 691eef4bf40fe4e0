"""Follow-ups added, changed or cancelled by hand, beside the plan's cadence."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.models import Case, Membership
from cases.policy import Action
from cases.services import Actor, declared, require_version, versioned_update

from ..models import FollowUp, MonitoringPlan
from .common import AuditAction, Kind, Status, _require_monitoring
from .plans import _moments, default_assignee, schedule_next

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class FollowUpChanges(TypedDict, total=False):
    """A change to an open follow-up; the only status it is given by hand is `cancelled`."""

    mode: str
    assignee: AbstractBaseUser | None
    status: str
    window_opens_at: datetime.datetime
    due_at: datetime.datetime
    note: str


def _check_assignee(case: Case, assignee: AbstractBaseUser | None) -> None:
    if assignee is not None and not Membership.objects.filter(
        organisation_id=case.owner_id, user=assignee
    ).exists():
        raise ValidationError(
            {"assignee": _("The assignee must be a member of your organisation.")}
        )


def follow_up_create(
    *,
    actor: Actor,
    case: Case,
    due_at: datetime.datetime,
    window_opens_at: datetime.datetime | None = None,
    mode: str = FollowUp.Mode.VISIT,
    assignee: AbstractBaseUser | None = None,
    note: str = "",
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
    assignee_id = assignee.pk if assignee is not None else default_assignee(case)
    with transaction.atomic():
        follow_up = FollowUp.objects.create(
            case=case, plan=plan, kind=Kind.AD_HOC, mode=mode, assignee_id=assignee_id, note=note,
            **_moments(plan, window_opens_at, due_at),
        )
        audit.record(actor, AuditAction.CREATE, follow_up)
    return follow_up


def follow_up_update(
    *, actor: Actor, follow_up: FollowUp, version: int | None, **changes: Unpack[FollowUpChanges]
) -> FollowUp:
    """Reassign, change the mode or note, reschedule, or cancel a follow-up."""
    _require_monitoring(actor, follow_up.case, Action.CHANGE)
    # What is written: the fields sent, and the alert moments a new window brings.
    written: dict[str, Any] = declared(changes, FollowUpChanges)
    require_version(version)
    if follow_up.status not in FollowUp.OPEN:
        raise ValidationError({"status": _("Only an open follow-up can be changed.")})
    if "assignee" in written:
        _check_assignee(follow_up.case, written["assignee"])
    status = written.pop("status", None)
    if status is not None:
        if status != Status.CANCELLED:
            raise ValidationError({"status": _("A follow-up can only be cancelled by hand.")})
        written["status"] = status
    if "due_at" in written or "window_opens_at" in written:
        opens = written.pop("window_opens_at", follow_up.window_opens_at)
        due = written.pop("due_at", follow_up.due_at)
        if opens > due:
            raise ValidationError({"window_opens_at": _("The window opens before the due date.")})
        written.update(_moments(follow_up.plan, opens, due), alert_stage=0, escalated=False)
        if status is None:
            written["status"] = Status.SCHEDULED
    with transaction.atomic():
        versioned_update(follow_up, version, written, status__in=FollowUp.OPEN)
        audit.record(actor, AuditAction.UPDATE, follow_up, changed_fields=sorted(written))
        if status == Status.CANCELLED and follow_up.kind in (Kind.CADENCE, Kind.FIRST_VISIT):
            schedule_next(plan=follow_up.plan, after=timezone.now())
    return follow_up
