"""Writes of monitoring: plans, follow-ups, check reports with their findings, evidence.

Like the case services, each checks the policy, validates, writes and records the audit event,
and changes nothing when it raises.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit, policy
from cases import services as case_services
from cases.exceptions import Conflict
from cases.models import Assurance, Case, Membership, ProceedingEvent
from cases.models.sharing import (
    DISTRIBUTION_WIDTH,
    PASSED_ON_UNDER,
    SHARED,
    TLP,
    Distribution,
    opens_further,
)
from cases.policy import Action, Resource

from . import cadence as cadences
from . import evidence_files
from .models import (
    CheckReport,
    Evidence,
    Finding,
    FollowUp,
    MonitoringPlan,
    MonitoringSettings,
)

AuditAction = audit.Action
Status = FollowUp.Status
Kind = FollowUp.Kind
DAY = datetime.timedelta(days=1)
# Outcomes a later check does not silently close: a person decides they are resolved.
STICKY_OUTCOMES = (
    Finding.Outcome.BREACH,
    Finding.Outcome.ALLEGATION_PENDING,
    Finding.Outcome.ACCESS_DENIED,
)


def _require_monitoring(actor, case: Case, action: Action = Action.CREATE) -> None:
    policy.require(actor, Action.VIEW, case)
    if not policy.has_right(actor, case.owner_id, Resource.MONITORING, action):
        raise PermissionDenied(_("Only the owning organisation's caseworkers do this."))


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)


# --- scheduling ------------------------------------------------------------------------------


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


def schedule_next(plan: MonitoringPlan, after: datetime.datetime) -> FollowUp | None:
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


def _last_assignee(plan: MonitoringPlan) -> int | None:
    return (
        FollowUp.objects.filter(plan=plan, assignee__isnull=False)
        .order_by("-created_at")
        .values_list("assignee_id", flat=True)
        .first()
    )


def _silence_due(plan: MonitoringPlan, since: datetime.datetime) -> datetime.datetime:
    return since + _window(plan)[1] * DAY


def plan_for_case(*, actor, case: Case) -> MonitoringPlan:
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
        _new_follow_up(plan, Kind.FIRST_VISIT, day_zero, first_due).save()
        audit.record(actor, AuditAction.CREATE, plan, organisation_id=case.owner_id)
    return plan


def plan_update(
    *, actor, plan: MonitoringPlan, version: int | None, profile: str | None = None,
    cadence: dict | None = None, **changes,
) -> MonitoringPlan:
    """Change a case's cadence (a case may override its organisation's default)."""
    _require_monitoring(actor, plan.case, Action.CHANGE)
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
    if profile is not None:
        changes["profile"] = profile
        if profile == cadences.Profile.CUSTOM:
            if cadence is None:
                raise ValidationError({"cadence": _("A custom profile needs a cadence.")})
            changes["cadence"] = cadences.validate(cadence)
        else:
            if cadence is not None:
                raise ValidationError({"cadence": _("Only the custom profile takes a cadence.")})
            changes["cadence"] = cadences.preset(profile)
    elif cadence is not None:
        raise ValidationError({"profile": _("Name the profile 'custom' to set a cadence.")})
    with transaction.atomic():
        updated = MonitoringPlan.objects.filter(pk=plan.pk, version=version).update(
            **changes, version=F("version") + 1, updated_at=timezone.now()
        )
        if not updated:
            raise Conflict(MonitoringPlan.objects.filter(pk=plan.pk).values_list(
                "version", flat=True).first())
        plan.refresh_from_db()
        audit.record(actor, AuditAction.UPDATE, plan, changed_fields=sorted(changes),
                     organisation_id=plan.case.owner_id)
    return plan


def phase_change(
    *, actor, plan: MonitoringPlan, phase: str, on: datetime.datetime | None = None
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
        schedule_next(plan, on)
        audit.record(actor, AuditAction.UPDATE, plan, changed_fields=["custody_phase"],
                     detail={"from": before, "to": phase}, organisation_id=plan.case.owner_id)
    return plan


def close_plan(*, actor, case: Case) -> None:
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


def hearing_recorded(*, actor, proceeding: ProceedingEvent) -> list[FollowUp]:
    """A coming hearing on a monitored case: attend it, and check within days after it."""
    if proceeding.kind != ProceedingEvent.Kind.HEARING:
        return []
    plan = MonitoringPlan.objects.filter(case_id=proceeding.case_id, active=True).first()
    if plan is None or proceeding.date < timezone.localdate():
        return []
    start = _start_of(proceeding.date)
    after = plan.cadence["hearing_followup_days"]
    follow_ups = [
        _new_follow_up(plan, Kind.HEARING, start, start + DAY - datetime.timedelta(seconds=1),
                       mode=FollowUp.Mode.TRIAL_ATTENDANCE, hearing=proceeding),
        _new_follow_up(plan, Kind.AFTER_HEARING, start + DAY, start + (after + 1) * DAY,
                       hearing=proceeding),
    ]
    with transaction.atomic():
        FollowUp.objects.bulk_create(follow_ups)
        audit.record_many(
            [audit.Entry(actor, AuditAction.CREATE, f, organisation_id=plan.case.owner_id)
             for f in follow_ups]
        )
    return follow_ups


# --- follow-ups ------------------------------------------------------------------------------


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
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
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
        updated = FollowUp.objects.filter(
            pk=follow_up.pk, version=version, status__in=FollowUp.OPEN
        ).update(**changes, version=F("version") + 1, updated_at=timezone.now())
        if not updated:
            raise Conflict(FollowUp.objects.filter(pk=follow_up.pk).values_list(
                "version", flat=True).first())
        follow_up.refresh_from_db()
        audit.record(actor, AuditAction.UPDATE, follow_up, changed_fields=sorted(changes))
        if status == Status.CANCELLED and follow_up.kind in (Kind.CADENCE, Kind.FIRST_VISIT):
            schedule_next(follow_up.plan, timezone.now())
    return follow_up


# --- reports and findings --------------------------------------------------------------------


def _validate_findings(case: Case, findings: list[dict]) -> None:
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


def report_submit(
    *, actor, follow_up: FollowUp, findings: Iterable[dict] = (), **fields
) -> CheckReport:
    """Complete a follow-up with its report and a finding per assurance, all or nothing."""
    case = follow_up.case
    _require_monitoring(actor, case)
    findings = list(findings)
    errors: dict = {}
    if follow_up.status not in (*FollowUp.OPEN, Status.MISSED):
        errors["follow_up"] = _("This follow-up is %(status)s: it takes no report.") % {
            "status": follow_up.status}
    checked_at = fields["checked_at"]
    if checked_at > timezone.now() + datetime.timedelta(minutes=5):
        errors["checked_at"] = _("This moment is in the future.")
    elif case.surrender_date and checked_at < _start_of(case.surrender_date):
        errors["checked_at"] = _("This is before the surrender (day 0).")
    access = fields["access"]
    if access == CheckReport.Access.DELAYED and fields.get("access_delay_hours") is None:
        errors["access_delay_hours"] = _("Say how many hours access was delayed.")
    if access != CheckReport.Access.DELAYED and fields.get("access_delay_hours") is not None:
        errors["access_delay_hours"] = _("Only a delayed access has a delay.")
    if access == CheckReport.Access.REFUSED and not fields.get("refusal_reason"):
        errors["refusal_reason"] = _("Record the reason given for the refusal (or 'none given').")
    if errors:
        raise ValidationError(errors)
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
        # A new finding travels as far as its case, unless the owner narrows it.
        inherited = {"distribution": case.distribution, "sharing_group": case.sharing_group,
                     "tlp": case.tlp}
        rows = Finding.objects.bulk_create(
            [
                Finding(case=case, report=report, follow_up=follow_up, observed_at=checked_at,
                        created_by=actor, shared_at=timezone.now()
                        if case.distribution in SHARED else None, **{**inherited, **item})
                for item in findings
            ]
        )
        _close_superseded(rows)
        plan = follow_up.plan
        if plan is not None and plan.active:
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
                schedule_next(plan, checked_at)
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


def finding_update(*, actor, finding: Finding, version: int | None, **changes) -> Finding:
    """The owner revises a finding or resolves it (is_open false)."""
    _require_monitoring(actor, finding.case, Action.CHANGE)
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
    with transaction.atomic():
        updated = Finding.objects.filter(pk=finding.pk, version=version).update(
            **changes, version=F("version") + 1
        )
        if not updated:
            raise Conflict(Finding.objects.filter(pk=finding.pk).values_list(
                "version", flat=True).first())
        finding.refresh_from_db()
        audit.record(actor, AuditAction.UPDATE, finding, changed_fields=sorted(changes))
    return finding


def _finding_sharing_errors(case: Case, values: dict) -> dict:
    """The label's ceiling, and never wider than the case (aggregate_only excepted)."""
    errors: dict = {}
    case_services.validate_sharing(errors, case.owner_id, values)
    distribution = values["distribution"]
    if errors or distribution == Distribution.AGGREGATE_ONLY:
        return errors
    if DISTRIBUTION_WIDTH[distribution] > DISTRIBUTION_WIDTH[case.distribution]:
        errors["distribution"] = _(
            "A finding is never shared wider than its case, which is '%(case)s'."
        ) % {"case": case.distribution}
    elif (
        distribution == Distribution.SHARING_GROUP
        and case.distribution == Distribution.SHARING_GROUP
        and values["sharing_group"] != case.sharing_group
    ):
        errors["sharing_group"] = _("The case is shared with another group: this one is wider.")
    return errors


def finding_share(
    *, actor, finding: Finding, version: int | None, distribution: str, tlp: str | None = None,
    sharing_group=None, summary_shareable: bool | None = None,
) -> Finding:
    """The owner shares a finding, narrows it or withdraws it (distribution and label)."""
    _require_monitoring(actor, finding.case, Action.CHANGE)
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
    values = {"distribution": distribution, "sharing_group": sharing_group,
              "tlp": tlp or finding.tlp}
    errors = _finding_sharing_errors(finding.case, values)
    if errors:
        raise ValidationError(errors)
    before = {"distribution": finding.distribution, "sharing_group": finding.sharing_group_id,
              "tlp": finding.tlp}
    after = {**values, "sharing_group": sharing_group.pk if sharing_group else None}
    changes = dict(values)
    if summary_shareable is not None:
        changes["summary_shareable"] = summary_shareable
    wider = opens_further(before, after)
    if wider:
        changes["shared_at"] = timezone.now()
    with transaction.atomic():
        updated = Finding.objects.filter(pk=finding.pk, version=version).update(
            **changes, version=F("version") + 1
        )
        if not updated:
            raise Conflict(Finding.objects.filter(pk=finding.pk).values_list(
                "version", flat=True).first())
        finding.refresh_from_db()
        if before != after:
            audit.record(actor, AuditAction.SHARE if wider else AuditAction.WITHDRAW, finding,
                         detail={"from": before, "to": after})
        else:
            audit.record(actor, AuditAction.UPDATE, finding, changed_fields=sorted(changes))
    return finding


# How far a label lets a recipient pass a record on (TLP 2.0): AMBER and stricter stay with
# the recipient's own organisation.
RESHARE_ALLOWED = dict.fromkeys(PASSED_ON_UNDER, SHARED)


def finding_reshare(
    *, actor, finding: Finding, organisation=None, distribution: str, sharing_group=None
):
    """A recipient passes a finding on to its own sharing group or the network."""
    from .models import FindingShare

    policy.require(actor, Action.VIEW, finding)
    org = policy.acting_organisation(actor, Resource.MONITORING, organisation, Action.SHARE)
    if org.pk == finding.case.owner_id:
        raise ValidationError({"organisation": _("The owner shares by changing the "
                                                 "finding's distribution.")})
    if distribution not in RESHARE_ALLOWED.get(finding.tlp, ()):
        raise PermissionDenied(
            _("%(label)s does not let recipients pass this finding beyond their organisation.")
            % {"label": TLP(finding.tlp).label}
        )
    if distribution == Distribution.SHARING_GROUP:
        if sharing_group is None:
            raise ValidationError({"sharing_group": _("Name the sharing group to pass it to.")})
        if not sharing_group.memberships.filter(organisation=org).exists():
            raise ValidationError({"sharing_group": _("Your organisation is not a member of "
                                                      "this group.")})
    elif sharing_group is not None:
        raise ValidationError({"sharing_group": _("A sharing group goes only with "
                                                  "'sharing_group'.")})
    with transaction.atomic():
        share = FindingShare.objects.create(
            finding=finding, organisation=org, distribution=distribution,
            sharing_group=sharing_group, created_by=actor,
        )
        audit.record(actor, AuditAction.SHARE, finding, organisation_id=org.pk,
                     detail={"reshare": str(share.pk), "distribution": distribution,
                             "sharing_group": sharing_group.pk if sharing_group else None})
        audit.record(actor, AuditAction.SHARE, finding, detail={"reshared_by": org.slug})
    return share


def finding_reshare_withdraw(*, actor, share) -> None:
    """The organisation that passed a finding on, or its owner, takes it back."""
    roles = policy.roles(actor)
    may = policy.has_right(actor, share.organisation_id, Resource.MONITORING, Action.SHARE) or (
        policy.has_right(actor, share.finding.case.owner_id, Resource.MONITORING, Action.CHANGE)
    )
    if not roles or not may:
        raise PermissionDenied(_("Only who passed it on, or the owner, withdraws it."))
    with transaction.atomic():
        withdrawn = type(share).objects.filter(pk=share.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        if withdrawn:
            audit.record(actor, AuditAction.WITHDRAW, share.finding,
                         organisation_id=share.organisation_id,
                         detail={"reshare": str(share.pk)})
            audit.record(actor, AuditAction.WITHDRAW, share.finding,
                         detail={"reshare": str(share.pk)})


def finding_comment_create(*, actor, finding: Finding, organisation=None, text: str):
    """Recipients comment or propose; only the owner edits the finding itself."""
    from .models import FindingComment

    policy.require(actor, Action.VIEW, finding)
    org = policy.acting_organisation(actor, Resource.MONITORING, organisation, Action.COMMENT)
    with transaction.atomic():
        comment = FindingComment.objects.create(
            finding=finding, organisation=org, author=actor, text=text
        )
        audit.record(actor, AuditAction.CREATE, comment, organisation_id=org.pk)
    return comment


def record_lapse(follow_up: FollowUp, now: datetime.datetime) -> Finding | None:
    """A missed follow-up is a lapse of monitoring: a finding against the monitoring side."""
    assurance = follow_up.case.assurances.filter(type=Assurance.Type.MONITORING_ACCESS).first()
    finding, created = Finding.objects.get_or_create(
        follow_up=follow_up,
        outcome=Finding.Outcome.MONITORING_LAPSED,
        defaults={
            "case_id": follow_up.case_id,
            "assurance": assurance,
            "severity": Finding.Severity.HIGH,
            "confidence": Finding.Confidence.HIGH,
            "observed_at": now,
            "evidence_summary": _("No check was reported by %(date)s.") % {
                "date": follow_up.missed_at.date().isoformat()},
            # Like a finding of a report, a lapse travels as far as its case.
            "distribution": follow_up.case.distribution,
            "sharing_group_id": follow_up.case.sharing_group_id,
            "tlp": follow_up.case.tlp,
            "shared_at": now if follow_up.case.distribution in SHARED else None,
        },
    )
    if created:
        audit.record(None, AuditAction.CREATE, finding, organisation_id=follow_up.case.owner_id,
                     detail={"outcome": finding.outcome, "follow_up": str(follow_up.pk)})
    return finding if created else None


# --- evidence --------------------------------------------------------------------------------


def evidence_upload(
    *, actor, report: CheckReport, file: UploadedFile, classification: str = "confidential",
    keep_location: bool = False,
) -> Evidence:
    """Store a file of evidence, of an accepted type read from its content, never from its name;
    an image without its location unless `keep_location`. The digest is of what is stored."""
    _require_monitoring(actor, report.case)
    limit = settings.EVIDENCE_MAX_BYTES
    if file.size is None or file.size > limit:
        raise ValidationError({"file": _("The file is larger than the limit of %(size)s.") % {
            "size": filesizeformat(limit)}})
    if file.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    try:
        checked = evidence_files.check(file, keep_location=keep_location)
    except evidence_files.Refused as refusal:
        raise ValidationError({"file": str(refusal)}) from None
    stored = file if checked.content is None else ContentFile(checked.content)
    digest = hashlib.sha256()
    for chunk in stored.chunks():
        digest.update(chunk)
    stored.seek(0)
    with transaction.atomic():
        evidence = Evidence(
            case=report.case, report=report, original_name=(file.name or "")[:255],
            sha256=digest.hexdigest(), size=stored.size, content_type=checked.content_type,
            location_data=checked.location_data, classification=classification,
            uploaded_by=actor,
        )
        evidence.file.save(evidence.id.hex, stored, save=False)
        try:
            evidence.save()
            audit.record(actor, AuditAction.CREATE, evidence, organisation_id=report.case.owner_id,
                         detail={"sha256": evidence.sha256, "size": evidence.size,
                                 "location_data": evidence.location_data})
        except Exception:
            evidence.file.delete(save=False)
            raise
    return evidence


def notification_preferences_set(*, actor, preferences: Iterable[dict]) -> None:
    """The caller's own choice of which alerts also come by e-mail."""
    from .models import NotificationPreference

    with transaction.atomic():
        for item in preferences:
            NotificationPreference.objects.update_or_create(
                user=actor, kind=item["kind"], defaults={"email": item["email"]}
            )
        audit.record(actor, AuditAction.UPDATE, None,
                     detail={"notification_preferences": [
                         {"kind": i["kind"], "email": i["email"]} for i in preferences]})


def notification_mark_read(*, actor, notification) -> None:
    """The recipient marks one of its notifications read (its own state: no audit event, as a
    mail client's read flag)."""
    from .models import Notification

    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
