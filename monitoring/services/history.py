"""A check that happened before the product knew of it, recorded as if reported then: the
plan's open follow-up of its kind completed by the report (so the cadence moves on as it
would have), or, where none is open, a follow-up of that kind made for the moment of the check
and completed at once. For imports of a monitoring history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.models import Case
from cases.services import Actor

from ..models import CheckReport, FollowUp, MonitoringPlan
from .common import AuditAction, Kind, _require_monitoring
from .plans import _moments, default_assignee
from .reports import FindingFields, ReportDetails, report_submit

MONITORED = (Case.Status.SURRENDERED, Case.Status.MONITORING_ACTIVE,
             Case.Status.MONITORING_CLOSED)


def report_record_past(
    *,
    actor: Actor,
    case: Case,
    kind: str,
    checked_at: datetime.datetime,
    access: str,
    mode: str = FollowUp.Mode.VISIT,
    findings: Iterable[FindingFields] = (),
    **details: Unpack[ReportDetails],
) -> CheckReport:
    """Record a past check of `kind` with its report and findings, all or nothing."""
    _require_monitoring(actor, case)
    if kind not in Kind.values:
        raise ValidationError({"kind": _("Not one of: %(kinds)s.") % {
            "kinds": ", ".join(Kind.values)}})
    if mode not in FollowUp.Mode.values:
        raise ValidationError({"mode": _("Not one of: %(modes)s.") % {
            "modes": ", ".join(FollowUp.Mode.values)}})
    if case.status not in MONITORED:
        raise ValidationError({"case": _("Checks are recorded for a surrendered person: this "
                                         "case is at '%(status)s'.") % {"status": case.status}})
    if checked_at > timezone.now():
        raise ValidationError({"checked_at": _("This moment is in the future.")})
    plan = MonitoringPlan.objects.filter(case=case).first()
    open_one = None
    if plan is not None and kind in (Kind.FIRST_VISIT, Kind.CADENCE):
        open_one = FollowUp.objects.filter(plan=plan, kind=kind, status__in=FollowUp.OPEN,
                                           report__isnull=True).order_by("due_at").first()
    with transaction.atomic():
        if open_one is None:
            open_one = FollowUp.objects.create(
                case=case, plan=plan, kind=kind, mode=mode, assignee_id=default_assignee(case),
                **_moments(plan, checked_at, checked_at))
            audit.record(actor, AuditAction.CREATE, open_one, organisation_id=case.owner_id,
                         detail={"recorded_after_the_check": True})
        elif open_one.mode != mode:
            FollowUp.objects.filter(pk=open_one.pk).update(mode=mode)
            open_one.mode = mode
        return report_submit(actor=actor, follow_up=open_one, checked_at=checked_at,
                             access=access, findings=findings, **details)
