"""Who sees which exports: the requester, and its organisation's auditors.

The rule joins the case policy through `RULES`, which `cases.policy.register_installed_apps()`
registers.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases import policy
from cases.policy import Resource, Rule

from .models import Export


def exports(queryset: QuerySet, user) -> QuerySet:
    """The requester's own files while it may still export for their organisation, and those
    of its organisation for its auditors, except files holding identifiers, which auditors
    never see."""
    exporting = policy.organisations_with(user, Resource.EXPORT, policy.Action.VIEW)
    auditing = policy.organisations_with(user, Resource.EXPORT, policy.Action.VIEW_AUDIT)
    return queryset.filter(
        Q(requester_id=user.pk, organisation_id__in=exporting)
        | Q(organisation_id__in=auditing, include_identifiers=False)
    )


RULES = (Rule(Export, Resource.EXPORT, exports),)


def export_notice_still_for(notification) -> bool:
    """Whether the recipient of an export's notice may still see the export."""
    return policy.visible(notification.recipient, Export).filter(
        pk=notification.export
    ).exists()
