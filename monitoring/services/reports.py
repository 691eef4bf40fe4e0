"""Check reports: a follow-up completed with a finding per assurance, all or nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.exceptions import Conflict
from cases.models import Assurance, Case
from cases.models.sharing import SHARED
from cases.services import Actor, declared, raise_errors

from ..models import CheckReport, Finding, FollowUp, MonitoringPlan
from .common import AuditAction, Kind, Status, _require_monitoring, _start_of
from .plans import _silence_due, schedule_next

STICKY_OUTCOMES = (
    Finding.Outcome.BREACH,
    Finding.Outcome.ALLEGATION_PENDING,
    Finding.Outcome.ACCESS_DENIED,
)


class FindingFields(TypedDict, total=False):
    """What a check found for one assurance (none for a lapse of monitoring)."""

    assurance: Assurance | None
    outcome: str
    severity: str
    confidence: str
    evidence_summary: str


class ReportDetails(TypedDict, total=False):
    """What a report may say beyond when the check was and whether access was granted."""

    visitors: str
    access_delay_hours: int | None
    refusal_reason: str
    privacy: str
    interpreter_independent: bool | None
    doctor_present: bool | None
    custody_phase: str
    facility: str
    condition: str
    allegations: str
    legal_status: str
    family_contact: str
    trial_observations: str
    narrative: str


def _validate_findings(case: Case, findings: list[FindingFields]) -> None:
    errors = []
    seen = set()
    for i, item in enumerate(findings):
        assurance = item.get("assurance")
        if assurance is not None and assurance.case_id != case.pk:
            errors.append({"assurance": [_("This assurance belongs to another case.")], "index": i})
        elif assurance is not None and assurance.pk in seen:
            errors.append({"assurance": [_("One finding per assurance per report.")], "index": i})
        if assurance is None and item["outcome"] != Finding.Outcome.MONITORING_LAPSED:
            errors.append({"assurance": [_("Name the assurance this finding is about.")],
                           "index": i})
        if assurance is not None:
            seen.add(assurance.pk)
    if errors:
        raise ValidationError({"findings": [str(e) for e in errors]})


def _close_superseded(findings: Iterable[Finding]) -> None:
    """A new verdict on an assurance closes the earlier open ones, except those a person must
    resolve (breach, pending allegation, access denied)."""
    for finding in findings:
        if finding.assurance_id is None:
            continue
        Finding.objects.filter(
            assurance_id=finding.assurance_id, is_open=True, observed_at__lte=finding.observed_at
        ).exclude(pk=finding.pk).exclude(outcome__in=STICKY_OUTCOMES).update(is_open=False)


def _report_errors(follow_up: FollowUp, fields: dict) -> dict:
    errors: dict = {}
    case, checked_at, access = follow_up.case, fields["checked_at"], fields["access"]
    if follow_up.status not in (*FollowUp.OPEN, Status.MISSED):
        errors["follow_up"] = _("This follow-up is %(status)s: it takes no report.") % {
            "status": follow_up.status}
    if checked_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["checked_at"] = _("This moment is in the future.")
    elif case.surrender_date and checked_at < _start_of(case.surrender_date):
        errors["checked_at"] = _("This is before the surrender (day 0).")
    if access == CheckReport.Access.DELAYED and fields.get("access_delay_hours") is None:
        errors["access_delay_hours"] = _("Say how many hours access was delayed.")
    if access != CheckReport.Access.DELAYED and fields.get("access_delay_hours") is not None:
        errors["access_delay_hours"] = _("Only a delayed access has a delay.")
    if access == CheckReport.Access.REFUSED and not fields.get("refusal_reason"):
        errors["refusal_reason"] = _("Record the reason given for the refusal (or 'none given').")
    return errors


def _store_findings(actor: Actor, report: CheckReport, findings: list[dict]) -> list[Finding]:
    case = report.case
    # A new finding travels as far as its case, unless the owner narrows it.
    inherited = {"distribution": case.distribution, "sharing_group": case.sharing_group,
                 "tlp": case.tlp}
    shared_at = timezone.now() if case.distribution in SHARED else None
    rows = Finding.objects.bulk_create(
        [
            Finding(case=case, report=report, follow_up=report.follow_up,
                    observed_at=report.checked_at, created_by=actor, shared_at=shared_at,
                    **{**inherited, **item})
            for item in findings
        ]
    )
    _close_superseded(rows)
    return rows


def _plan_after(follow_up: FollowUp, access: str, checked_at: datetime.datetime) -> None:
    """A check with access restarts the silence clock; a regular one schedules the next."""
    plan = follow_up.plan
    if plan is None or not plan.active:
        return
    if access == CheckReport.Access.GRANTED and (
        plan.last_access_at is None or checked_at > plan.last_access_at
    ):
        MonitoringPlan.objects.filter(pk=plan.pk).update(
            last_access_at=checked_at, silence_due_at=_silence_due(plan, checked_at)
        )
    # A late report on a missed check finds the next one already scheduled by the sweep.
    if follow_up.kind in (Kind.FIRST_VISIT, Kind.CADENCE) and not FollowUp.objects.filter(
        plan=plan, kind=Kind.CADENCE, status__in=FollowUp.OPEN
    ).exists():
        schedule_next(plan=plan, after=checked_at)


def report_submit(
    *,
    actor: Actor,
    follow_up: FollowUp,
    checked_at: datetime.datetime,
    access: str,
    findings: Iterable[FindingFields] = (),
    **details: Unpack[ReportDetails],
) -> CheckReport:
    """Complete a follow-up with its report and a finding per assurance, all or nothing."""
    case = follow_up.case
    _require_monitoring(actor, case)
    fields = {"checked_at": checked_at, "access": access, **declared(details, ReportDetails)}
    findings = [declared(item, FindingFields) for item in findings]
    raise_errors(_report_errors(follow_up, fields))
    _validate_findings(case, findings)
    findings = findings + _implied_access_findings(case, access, findings)

    with transaction.atomic():
        claimed = FollowUp.objects.filter(
            pk=follow_up.pk, status=follow_up.status, report__isnull=True
        ).update(
            status=Status.COMPLETED, completed_at=checked_at, version=F("version") + 1,
            updated_at=timezone.now(),
        )
        if not claimed:
            raise Conflict(None, _("This follow-up was completed or changed meanwhile."))
        report = CheckReport.objects.create(
            follow_up=follow_up, case=case, created_by=actor, **fields
        )
        rows = _store_findings(actor, report, findings)
        _plan_after(follow_up, access, checked_at)
        audit.record_many(
            [audit.Entry(actor, AuditAction.CREATE, report, organisation_id=case.owner_id)]
            + [audit.Entry(actor, AuditAction.CREATE, f, organisation_id=case.owner_id,
                           detail={"outcome": f.outcome}) for f in rows]
        )
    return report


def _implied_access_findings(case: Case, access: str, given: list[dict]) -> list[dict]:
    """A refused or delayed visit is itself a verdict on the monitoring-access promise."""
    if access == CheckReport.Access.GRANTED:
        return []
    covered = {item["assurance"].pk for item in given if item.get("assurance")}
    outcome, severity = (
        (Finding.Outcome.ACCESS_DENIED, Finding.Severity.HIGH)
        if access == CheckReport.Access.REFUSED
        else (Finding.Outcome.ACCESS_DELAYED, Finding.Severity.MEDIUM)
    )
    return [
        {"assurance": assurance, "outcome": outcome, "severity": severity,
         "confidence": Finding.Confidence.HIGH}
        for assurance in case.assurances.filter(type=Assurance.Type.MONITORING_ACCESS)
        if assurance.pk not in covered
    ]
