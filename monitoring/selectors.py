"""Reads of monitoring that are more than a filter."""

from __future__ import annotations

from collections import defaultdict

from django.db import models
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from cases import policy
from cases.models import Case, SharingGroupMembership
from cases.models.sharing import Distribution

from .models import OUTCOME_RANK, UNVERIFIED, Finding, FindingShare, FollowUp, MonitoringPlan


def worst(outcomes) -> str:
    """The worst of `outcomes`; with none, "unverified" (missing data is never compliance)."""
    return max(outcomes, key=OUTCOME_RANK.__getitem__, default=UNVERIFIED)


def case_compliance(case: Case, user=None) -> dict:
    """Per assurance: latest outcome, worst open finding, checks done; for the case: its worst
    open finding, last access granted, next check due. With `user`, only the findings and
    reports that user may see count: a finding kept from them shows through no verdict."""
    findings = Finding.objects.filter(case=case)
    reports = case.check_reports.all()
    if user is not None:
        findings, reports = policy.restrict(findings, user), policy.restrict(reports, user)
    findings = list(findings.order_by("observed_at", "created_at"))
    by_assurance: dict = defaultdict(list)
    for finding in findings:
        by_assurance[finding.assurance_id].append(finding)
    rows = []
    for assurance in case.assurances.all():
        own = by_assurance.get(assurance.pk, [])
        rows.append(
            {
                "assurance": assurance.pk,
                "type": assurance.type,
                "latest_outcome": own[-1].outcome if own else UNVERIFIED,
                "worst_open_finding": worst(f.outcome for f in own if f.is_open),
                "checks_done": len({f.report_id for f in own if f.report_id}),
                "last_checked_at": own[-1].observed_at if own else None,
            }
        )
    # Lapses of monitoring with no monitoring-access assurance to hang on count for the case.
    unattached = [f.outcome for f in by_assurance.get(None, []) if f.is_open]
    plan = MonitoringPlan.objects.filter(case=case).first()
    next_due = (
        FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN).order_by("due_at").first()
    )
    return {
        "case": case.pk,
        "reference": case.reference,
        "compliance": worst([r["worst_open_finding"] for r in rows] + unattached),
        "assurances": rows,
        "checks_done": reports.count(),
        "lapses": sum(1 for f in findings if f.outcome == Finding.Outcome.MONITORING_LAPSED),
        "last_access_granted_at": plan.last_access_at if plan else None,
        "next_due_at": next_due.due_at if next_due else None,
        "next_follow_up": next_due.pk if next_due else None,
    }


def inbox_cases(user, *, since, organisation_ids: list[int]) -> QuerySet:
    """The cases of other organisations newly shared with the user's, newest first."""
    return (
        policy.restrict(Case.objects.all(), user)
        .exclude(owner_id__in=organisation_ids)
        .filter(shared_at__gte=since)
        .select_related("owner").order_by("-shared_at")
    )


def inbox(user, *, since, organisation_ids: list[int], limit: int = 500) -> list[dict]:
    """What was newly shared with the user's organisations: cases, findings and findings passed
    on by recipients, newest first, at most `limit`. Each through the same restricted querysets
    as the lists."""
    items = []
    cases = inbox_cases(user, since=since, organisation_ids=organisation_ids)[:limit]
    for case in cases:
        items.append({"kind": "case", "id": case.pk, "reference": case.reference,
                      "case": case.pk, "shared_at": case.shared_at,
                      "shared_by": case.owner.slug, "shared_by_name": case.owner.name,
                      "tlp": case.tlp})
    findings = (
        policy.restrict(Finding.objects.all(), user)
        .exclude(case__owner_id__in=organisation_ids)
        # Shared by its owner with the caller (a finding passed on is listed as such below).
        .filter(policy.shared_with(user), shared_at__gte=since)
        .select_related("case__owner").order_by("-shared_at")[:limit]
    )
    for finding in findings:
        items.append({"kind": "finding", "id": finding.pk, "reference": finding.case.reference,
                      "case": finding.case_id, "shared_at": finding.shared_at,
                      "shared_by": finding.case.owner.slug,
                      "shared_by_name": finding.case.owner.name, "tlp": finding.tlp})
    reshares = (
        policy.restrict(FindingShare.objects.all(), user)
        .exclude(organisation_id__in=organisation_ids)
        .exclude(finding__case__owner_id__in=organisation_ids)
        # Passed on to the caller's organisations, not merely to a group the caller sees from.
        .filter(
            Q(distribution=Distribution.NETWORK)
            | Q(sharing_group_id__in=SharingGroupMembership.objects.filter(
                organisation_id__in=organisation_ids).values("group_id")),
            created_at__gte=since, withdrawn_at__isnull=True,
        )
        .select_related("organisation", "finding__case").order_by("-created_at")[:limit]
    )
    for share in reshares:
        items.append({"kind": "reshared_finding", "id": share.finding_id,
                      "reference": share.finding.case.reference, "case": share.finding.case_id,
                      "shared_at": share.created_at, "shared_by": share.organisation.slug,
                      "shared_by_name": share.organisation.name, "tlp": share.finding.tlp})
    items.sort(key=lambda item: item["shared_at"], reverse=True)
    return items[:limit]


def _passed_on_to(organisation_ids: list[int], since) -> QuerySet:
    """Re-shares of the outer finding that reach these organisations, newest first: from
    another organisation than theirs, since `since`, not withdrawn."""
    return FindingShare.objects.filter(
        Q(distribution=Distribution.NETWORK)
        | Q(sharing_group_id__in=SharingGroupMembership.objects.filter(
            organisation_id__in=organisation_ids).values("group_id")),
        finding=OuterRef("pk"), created_at__gte=since, withdrawn_at__isnull=True,
    ).exclude(organisation_id__in=organisation_ids).order_by("-created_at")


def inbox_findings(user, *, since, organisation_ids: list[int]) -> QuerySet:
    """The findings newly shared with the user's organisations, by their owner or passed on by
    a recipient, once each, grouped by case (by its reference, newest first within it): ready
    for a paginator. Each carries `passed_on`, `shared_on` and `shared_by_name` (the owner's
    share first), and `case_open`, whether the user may open the case."""
    by_owner = Q(policy.shared_with(user), shared_at__gte=since)
    passed_on = _passed_on_to(organisation_ids, since)
    return (
        policy.restrict(Finding.objects.all(), user)
        .exclude(case__owner_id__in=organisation_ids)
        .filter(by_owner | Exists(passed_on))
        .annotate(
            passed_on=models.Case(models.When(by_owner, then=False), default=True,
                                  output_field=models.BooleanField()),
            shared_on=models.Case(models.When(by_owner, then=F("shared_at")),
                                  default=Subquery(passed_on.values("created_at")[:1])),
            shared_by_name=models.Case(
                models.When(by_owner, then=F("case__owner__name")),
                default=Subquery(passed_on.values("organisation__name")[:1])),
            case_open=Exists(policy.visible(user, Case).filter(pk=OuterRef("case_id"))),
        )
        .select_related("case", "assurance")
        .order_by("case__reference", "case_id", "-shared_on", "pk")
    )


DECISION_STATUSES = (
    Case.Status.ASSURANCES_REQUESTED,
    Case.Status.ASSURANCES_ASSESSED,
    Case.Status.EXECUTIVE_DECISION,
)
