"""Findings after the report: revised, shared, passed on by recipients, commented, and
the lapses the sweep records."""

from __future__ import annotations

import datetime
from typing import TypedDict, Unpack

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit, policy
from cases.models import Assurance, Case, Organisation, SharingGroup
from cases.models.sharing import (
    DISTRIBUTION_WIDTH,
    PASSED_ON_UNDER,
    SHARED,
    TLP,
    Distribution,
    opens_further,
)
from cases.policy import Action, Resource
from cases.services import Actor, declared, require_version, validate_sharing, versioned_update
from cases.services.cases import check_share_consent

from ..models import Finding, FindingComment, FindingShare, FollowUp
from .common import AuditAction, _require_monitoring
from .notifications import notify_comment, notify_newly_shared, share_audience


class FindingChanges(TypedDict, total=False):
    """The owner's revision of a finding; `is_open` false resolves it."""

    severity: str
    confidence: str
    evidence_summary: str
    is_open: bool


def finding_update(
    *, actor: Actor, finding: Finding, version: int | None, **changes: Unpack[FindingChanges]
) -> Finding:
    """The owner revises a finding or resolves it (is_open false)."""
    _require_monitoring(actor, finding.case, Action.CHANGE)
    changes = declared(changes, FindingChanges)
    require_version(version)
    with transaction.atomic():
        versioned_update(finding, version, changes)
        audit.record(actor, AuditAction.UPDATE, finding, changed_fields=sorted(changes))
    return finding


def _finding_sharing_errors(case: Case, values: dict) -> dict:
    """The label's ceiling, and never wider than the case (aggregate_only excepted)."""
    errors: dict = {}
    validate_sharing(errors, case.owner_id, values)
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
    *,
    actor: Actor,
    finding: Finding,
    version: int | None,
    distribution: str,
    tlp: str | None = None,
    sharing_group: SharingGroup | None = None,
    summary_shareable: bool | None = None,
    consent_override_reason: str = "",
) -> Finding:
    """The owner shares a finding, narrows it or withdraws it (distribution and label).
    Sharing it further when its subject withheld consent takes a reason, kept in the audit
    event, or is refused, as the owner decided. Members of each organisation that can newly
    see it are notified."""
    _require_monitoring(actor, finding.case, Action.CHANGE)
    require_version(version)
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
    # Reaching further beyond the owner: the subject's consent, and news for the recipients.
    reaches = wider and distribution in SHARED
    detail: dict = {"from": before, "to": after}
    if wider:
        changes["shared_at"] = timezone.now()
    if reaches:
        override = check_share_consent(finding.case.owner, finding.case.subject,
                                       consent_override_reason)
        if override:
            detail["consent_override_reason"] = override
    with transaction.atomic():
        # Who sees it before the change, to tell only those who see it after it.
        audience = share_audience(finding, distribution, after["sharing_group"]) \
            if reaches else None
        versioned_update(finding, version, changes)
        if before != after:
            audit.record(actor, AuditAction.SHARE if wider else AuditAction.WITHDRAW, finding,
                         detail=detail)
        else:
            audit.record(actor, AuditAction.UPDATE, finding, changed_fields=sorted(changes))
        if audience is not None:
            notify_newly_shared(finding, *audience)
    return finding


# How far a label lets a recipient pass a record on (TLP 2.0): AMBER and stricter stay with
# the recipient's own organisation.
RESHARE_ALLOWED = dict.fromkeys(PASSED_ON_UNDER, SHARED)


def finding_reshare(
    *,
    actor: Actor,
    finding: Finding,
    organisation: Organisation | None = None,
    distribution: str,
    sharing_group: SharingGroup | None = None,
) -> FindingShare:
    """A recipient passes a finding on to its own sharing group or the network."""
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
    group_id = sharing_group.pk if sharing_group else None
    with transaction.atomic():
        audience = share_audience(finding, distribution, group_id)
        share = FindingShare.objects.create(
            finding=finding, organisation=org, distribution=distribution,
            sharing_group=sharing_group, created_by=actor,
        )
        audit.record(actor, AuditAction.SHARE, finding, organisation_id=org.pk,
                     detail={"reshare": str(share.pk), "distribution": distribution,
                             "sharing_group": group_id})
        audit.record(actor, AuditAction.SHARE, finding, detail={"reshared_by": org.slug})
        notify_newly_shared(finding, *audience)
    return share


def finding_reshare_withdraw(*, actor: Actor, share: FindingShare) -> None:
    """The organisation that passed a finding on, or its owner, takes it back."""
    roles = policy.roles(actor)
    may = policy.has_right(actor, share.organisation_id, Resource.MONITORING, Action.SHARE) or (
        policy.has_right(actor, share.finding.case.owner_id, Resource.MONITORING, Action.CHANGE)
    )
    if not roles or not may:
        raise PermissionDenied(_("Only who passed it on, or the owner, withdraws it."))
    with transaction.atomic():
        withdrawn = FindingShare.objects.filter(pk=share.pk, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now()
        )
        if withdrawn:
            audit.record(actor, AuditAction.WITHDRAW, share.finding,
                         organisation_id=share.organisation_id,
                         detail={"reshare": str(share.pk)})
            audit.record(actor, AuditAction.WITHDRAW, share.finding,
                         detail={"reshare": str(share.pk)})


def finding_comment_create(
    *, actor: Actor, finding: Finding, organisation: Organisation | None = None, text: str
) -> FindingComment:
    """Recipients comment or propose; only the owner edits the finding itself."""
    policy.require(actor, Action.VIEW, finding)
    org = policy.acting_organisation(actor, Resource.MONITORING, organisation, Action.COMMENT)
    with transaction.atomic():
        comment = FindingComment.objects.create(
            finding=finding, organisation=org, author=actor, text=text
        )
        audit.record(actor, AuditAction.CREATE, comment, organisation_id=org.pk)
        notify_comment(comment)
    return comment


def record_lapse(*, follow_up: FollowUp, now: datetime.datetime) -> Finding | None:
    """A missed follow-up is a lapse of monitoring: a finding against the monitoring side."""
    return next(iter(record_lapses(follow_ups=[follow_up], now=now)), None)


def record_lapses(*, follow_ups: list[FollowUp], now: datetime.datetime) -> list[Finding]:
    """The lapse finding of each missed follow-up that has none yet (with its case loaded),
    against the case's first monitoring-access assurance, each with its audit event: a few
    statements however many lapsed."""
    done = set(Finding.objects.filter(
        follow_up_id__in=[f.pk for f in follow_ups], outcome=Finding.Outcome.MONITORING_LAPSED,
    ).values_list("follow_up_id", flat=True))
    follow_ups = [f for f in follow_ups if f.pk not in done]
    if not follow_ups:
        return []
    assurances: dict[int, int] = {}
    for case_id, assurance_id in Assurance.objects.filter(
        case_id__in={f.case_id for f in follow_ups}, type=Assurance.Type.MONITORING_ACCESS,
    ).order_by("created_at", "pk").values_list("case_id", "pk"):
        assurances.setdefault(case_id, assurance_id)
    findings = [
        Finding(
            follow_up=follow_up,
            case=follow_up.case,
            outcome=Finding.Outcome.MONITORING_LAPSED,
            assurance_id=assurances.get(follow_up.case_id),
            severity=Finding.Severity.HIGH,
            confidence=Finding.Confidence.HIGH,
            observed_at=now,
            evidence_summary=_("No check was reported by %(date)s.") % {
                "date": follow_up.missed_at.date().isoformat()},
            # Like a finding of a report, a lapse travels as far as its case.
            distribution=follow_up.case.distribution,
            sharing_group_id=follow_up.case.sharing_group_id,
            tlp=follow_up.case.tlp,
            shared_at=now if follow_up.case.distribution in SHARED else None,
        )
        for follow_up in follow_ups
    ]
    Finding.objects.bulk_create(findings)
    audit.record_many([
        audit.Entry(None, AuditAction.CREATE, finding, organisation_id=finding.case.owner_id,
                    detail={"outcome": finding.outcome, "follow_up": str(finding.follow_up_id)})
        for finding in findings
    ])
    return findings
