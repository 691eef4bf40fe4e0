"""Who sees which monitoring records: the rules of this app's records, one per kind.

They build on the case policy (a monitoring record is never seen without its case) and join it
through `RULES`, which `cases.policy.register_installed_apps()` registers.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from cases import policy
from cases.models import SharingGroupMembership
from cases.models.sharing import PASSED_ON_UNDER, SHARED, Distribution
from cases.policy import Resource, Rule, by_case

from .models import (
    CheckReport,
    Evidence,
    Finding,
    FindingComment,
    FindingShare,
    FollowUp,
    MonitoringPlan,
    Notification,
)


def _passed_on(user, prefix: str = "") -> Q:
    """Findings a recipient passed on to the user, while that recipient still receives them
    from the owner and the owner still shares them under a label that lets them go further:
    withdrawing a finding withdraws the re-shares too. The re-shares are read once, not once
    per finding: the database keeps their findings' ids at hand while it reads the findings.
    `prefix` reaches the Finding rows from another model's (`finding__`)."""
    reshared = FindingShare.objects.filter(withdrawn_at__isnull=True).filter(
        Q(distribution=Distribution.NETWORK) | Q(sharing_group_id__in=policy.groups_of(user))
    ).filter(
        Q(finding__distribution=Distribution.NETWORK)
        | Exists(SharingGroupMembership.objects.filter(
            group_id=OuterRef("finding__sharing_group_id"),
            organisation_id=OuterRef("organisation_id"),
        ))
    )
    p = prefix
    return Q(**{f"{p}pk__in": reshared.values("finding_id")}) & Q(
        **{f"{p}distribution__in": SHARED, f"{p}tlp__in": PASSED_ON_UNDER})


def _reaches(user, prefix: str = "") -> Q:
    """The owner's findings, and those whose own distribution or a recipient's re-share
    reaches the user (the case's reach apart)."""
    return (Q(**{f"{prefix}case__owner_id__in": policy.my_organisations(user)})
            | policy.shared_with(user, prefix)
            | _passed_on(user, prefix))


def _seen(user) -> Q:
    """The condition on Finding rows the user may see: the owner's findings, and those whose
    own distribution or a recipient's re-share reaches the user, always within the case's
    reach (the cases the user sees are listed once, for the many findings read)."""
    return Q(case_id__in=policy.visible_case_ids(user)) & _reaches(user)


def findings(queryset: QuerySet, user) -> QuerySet:
    """The owner's findings, and those whose own distribution or a recipient's re-share
    reaches the user, always within the case's reach."""
    return queryset.filter(_seen(user))


def counted_findings(queryset: QuerySet, user) -> QuerySet:
    """What counts in the user's aggregates: the findings it sees, and those their owners
    share as aggregates only. Both conditions apply to each row as it is read, so that the
    count never has to look a finding up in the list of those the user sees."""
    return queryset.filter(
        _seen(user)
        # Aggregates are for the organisations on the platform: none without one.
        | (Q(distribution=Distribution.AGGREGATE_ONLY) & Exists(policy.my_organisations(user)))
    )


def reports(queryset: QuerySet, user) -> QuerySet:
    """A report reaches those who see one of its findings (or the owner)."""
    return by_case(queryset, user).filter(
        Q(case__owner_id__in=policy.my_organisations(user))
        | Q(pk__in=findings(Finding.objects.all(), user).values("report_id"))
    )


def finding_children(queryset: QuerySet, user) -> QuerySet:
    """Re-shares and comments: seen with their finding. The finding's condition is checked on
    each one's own finding and case: there are few of them, where the list of every finding
    the user sees would be read whole (200 ms at 400,000 findings) for the dashboard's ten."""
    return queryset.filter(policy.case_condition(user, "finding__case__")
                           & _reaches(user, "finding__"))


def evidence(queryset: QuerySet, user) -> QuerySet:
    """Evidence files are sources: they stay with the owning organisation."""
    return by_case(queryset, user).filter(case__owner_id__in=list(policy.roles(user)))


def notifications(queryset: QuerySet, user) -> QuerySet:
    """An alert only while its case is visible; an export's notice is the requester's."""
    return queryset.filter(recipient_id=user.pk).filter(
        Q(case_id__in=policy.visible_case_ids(user)) | Q(case__isnull=True)
    )


RULES = (
    Rule(MonitoringPlan, Resource.MONITORING, by_case),
    Rule(FollowUp, Resource.MONITORING, by_case),
    Rule(CheckReport, Resource.MONITORING, reports),
    Rule(Finding, Resource.MONITORING, findings, counted=counted_findings),
    Rule(FindingShare, Resource.MONITORING, finding_children),
    Rule(FindingComment, Resource.MONITORING, finding_children),
    Rule(Evidence, Resource.MONITORING, evidence),
    Rule(Notification, Resource.NOTIFICATION, notifications),
)
