"""Sharing groups: organisations that share records with one another, kept by an owner."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Case, Organisation, SharingGroup, SharingGroupMembership
from ..policy import Action, Resource
from .common import require_version, versioned_update

AuditAction = audit.Action


def _set_group_members(
    actor, group: SharingGroup, members: Iterable[Organisation]
) -> tuple[list[str], list[str]]:
    wanted = {org.pk: org for org in members}
    wanted[group.owner_id] = group.owner
    current = set(group.memberships.values_list("organisation_id", flat=True))
    added = [wanted[pk] for pk in wanted.keys() - current]
    removed = current - wanted.keys()
    SharingGroupMembership.objects.bulk_create(
        [SharingGroupMembership(group=group, organisation=org) for org in added]
    )
    SharingGroupMembership.objects.filter(group=group, organisation_id__in=removed).delete()
    removed_slugs = list(Organisation.objects.filter(pk__in=removed).values_list("slug", flat=True))
    added_slugs = [org.slug for org in added]
    entries = []
    if added_slugs:
        entries.append(audit.Entry(actor, AuditAction.SHARE, group, detail={"added": added_slugs}))
    if removed_slugs:
        entries.append(
            audit.Entry(actor, AuditAction.WITHDRAW, group, detail={"removed": removed_slugs})
        )
    audit.record_many(entries)
    return sorted(added_slugs), sorted(removed_slugs)


def sharing_group_create(
    *,
    actor,
    organisation: Organisation | None = None,
    name: str,
    description: str = "",
    members: Iterable[Organisation] = (),
) -> SharingGroup:
    owner = policy.acting_organisation(
        actor, Resource.SHARING_GROUP, organisation, Action.MANAGE_SHARING_GROUPS
    )
    if SharingGroup.objects.filter(owner=owner, name=name).exists():
        raise ValidationError({"name": _("Your organisation has a sharing group of this name.")})
    with transaction.atomic():
        group = SharingGroup.objects.create(owner=owner, name=name, description=description)
        audit.record(actor, AuditAction.CREATE, group)
        _set_group_members(actor, group, members)
    return group


def sharing_group_update(
    *, actor, group: SharingGroup, version: int | None, members=None, **changes
) -> SharingGroup:
    policy.require(actor, Action.MANAGE_SHARING_GROUPS, group)
    renamed = changes.get("name", group.name) != group.name
    if renamed and SharingGroup.objects.filter(owner=group.owner, name=changes["name"]).exists():
        raise ValidationError({"name": _("Your organisation has a sharing group of this name.")})
    if members is not None:
        leaving = set(group.memberships.values_list("organisation_id", flat=True)) - {
            org.pk for org in members
        } - {group.owner_id}
        if leaving and Case.objects.filter(sharing_group=group, owner_id__in=leaving).exists():
            raise ValidationError(
                {"members": _("An organisation that shares cases through this group cannot be "
                              "removed until those cases are shared otherwise.")}
            )
    with transaction.atomic():
        changed = versioned_update(group, require_version(version), changes)
        if members is not None:
            added, removed = _set_group_members(actor, group, members)
            if added or removed:
                changed.append("members")
        if changed:
            audit.record(actor, AuditAction.UPDATE, group, changed_fields=changed)
    return group


def sharing_group_leave(*, actor, group: SharingGroup, organisation: Organisation | None = None):
    """A member organisation leaves a group it does not own."""
    org = policy.acting_organisation(
        actor, Resource.SHARING_GROUP, organisation, Action.MANAGE_SHARING_GROUPS
    )
    if org.pk == group.owner_id:
        raise ValidationError({"organisation": _("The owner keeps its group; delete it instead.")})
    if not group.memberships.filter(organisation=org).exists():
        raise ValidationError({"organisation": _("Your organisation is not a member.")})
    if Case.objects.filter(sharing_group=group, owner=org).exists():
        raise ValidationError(
            {"organisation": _("Your organisation shares cases through this group: share them "
                               "otherwise first.")}
        )
    with transaction.atomic():
        group.memberships.filter(organisation=org).delete()
        audit.record_many(
            [
                audit.Entry(actor, AuditAction.WITHDRAW, group, organisation_id=org_id,
                            detail={"left": org.slug})
                for org_id in dict.fromkeys((org.pk, group.owner_id))
            ]
        )


def sharing_group_delete(*, actor, group: SharingGroup) -> None:
    policy.require(actor, Action.MANAGE_SHARING_GROUPS, group)
    if Case.objects.filter(sharing_group=group).exists():
        raise ValidationError(
            {"detail": _("Records are still shared through this group; share them otherwise "
                         "first.")}
        )
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETE, group)
        group.delete()
