"""What the monitoring writes share: the right they need, and the day a moment starts."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from cases import audit, policy
from cases.models import Case
from cases.policy import Action, Resource
from cases.services import Actor

from ..models import FollowUp

AuditAction = audit.Action
Status = FollowUp.Status
Kind = FollowUp.Kind
DAY = datetime.timedelta(days=1)


def _require_monitoring(actor: Actor, case: Case, action: Action = Action.CREATE) -> None:
    policy.require(actor, Action.VIEW, case)
    if not policy.has_right(actor, case.owner_id, Resource.MONITORING, action):
        raise PermissionDenied(_("Only the owning organisation's caseworkers do this."))


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
