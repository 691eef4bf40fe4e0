"""Who sees which imports and mappings: an import, its importer while it may still import for
the organisation, and the organisation's admins; a saved mapping, whoever imports for the
organisation. Nobody else learns that an import exists (404)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from cases import policy
from cases.policy import Action, Resource, Rule

from .models import ColumnMapping, ImportJob


def import_jobs(queryset: QuerySet, user) -> QuerySet:
    importing = policy.organisations_with(user, Resource.IMPORT, Action.VIEW)
    overseeing = policy.organisations_with(user, Resource.IMPORT, Action.VIEW_AUDIT)
    return queryset.filter(Q(created_by_id=user.pk, organisation_id__in=importing)
                           | Q(organisation_id__in=overseeing))


def column_mappings(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(
        organisation_id__in=policy.organisations_with(user, Resource.IMPORT, Action.VIEW))


RULES = (
    Rule(ImportJob, Resource.IMPORT, import_jobs),
    Rule(ColumnMapping, Resource.IMPORT, column_mappings),
)
