"""Sharing groups: organisations that share records with one another, kept by an owner."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Case, Organisation, SharingGroup, SharingGroupMembership
from ..policy import Action, Resource
from .common import Actor, Operator, raise_errors, require_version, versioned_update

AuditAction = audit.Action


def _set_group_members(
    actor: Actor, group: SharingGroup, members: Iterable[Organisation]
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
    removed_slugs = sorted(
        Organisation.objects.filter(pk__in=removed).values_list("slug", flat=True)
    )
    added_slugs = sorted(org.slug for org in added)
    entries = []
    if added_slugs:
        entries.append(audit.Entry(actor, AuditAction.SHARE, group, detail={"added": added_slugs}))
    if removed_slugs:
        entries.append(
            audit.Entry(actor, AuditAction.WITHDRAW, group, detail={"removed": removed_slugs})
        )
    audit.record_many(entries)
    return added_slugs, removed_slugs


def check_sharing_group(
    *,
    owner: Organisation,
    name: str,
    group: SharingGroup | None = None,
    members: Iterable[Organisation] | None = None,
) -> None:
    """Refuse a name another group of the owner has, and members that would leave out an
    organisation sharing cases through the group."""
    errors = {}
    taken = SharingGroup.objects.filter(owner=owner, name=name)
    if group is not None:
        taken = taken.exclude(pk=group.pk)
    if taken.exists():
        errors["name"] = _("This organisation has a sharing group of this name.")
    if group is not None and members is not None:
        current = set(group.memberships.values_list("organisation_id", flat=True))
        leaving = current - {org.pk for org in members} - {group.owner_id}
        if leaving and Case.objects.filter(sharing_group=group, owner_id__in=leaving).exists():
            errors["members"] = _("An organisation that shares cases through this group cannot "
                                  "be removed until those cases are shared otherwise.")
    raise_errors(errors)


def _owner(actor: Actor, organisation: Organisation | None) -> Organisation:
    """The organisation a new group belongs to: the actor's, or the one platform staff name."""
    if isinstance(actor, Operator):
        if organisation is None:
            raise TypeError("an operator names the organisation that owns the group")
        return organisation
    return policy.acting_organisation(
        actor, Resource.SHARING_GROUP, organisation, Action.MANAGE_SHARING_GROUPS
    )


def _require_manager(actor: Actor, group: SharingGroup) -> None:
    # Platform staff (the admin) manage every organisation's groups.
    if not isinstance(actor, Operator):
        policy.require(actor, Action.MANAGE_SHARING_GROUPS, group)


def sharing_group_create(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    name: str,
    description: str = "",
    members: Iterable[Organisation] = (),
) -> SharingGroup:
    owner = _owner(actor, organisation)
    check_sharing_group(owner=owner, name=name)
    with transaction.atomic():
        group = SharingGroup.objects.create(owner=owner, name=name, description=description)
        audit.record(actor, AuditAction.CREATE, group)
        _set_group_members(actor, group, members)
    return group


def sharing_group_update(
    *,
    actor: Actor,
    group: SharingGroup,
    version: int | None,
    name: str | None = None,
    description: str | None = None,
    members: Iterable[Organisation] | None = None,
) -> SharingGroup:
    """Rename, describe or change the members of a group; what is None stays as it is."""
    _require_manager(actor, group)
    changes = {key: value for key, value in (("name", name), ("description", description))
               if value is not None}
    members = None if members is None else list(members)
    check_sharing_group(owner=group.owner, name=changes.get("name", group.name), group=group,
                        members=members)
    with transaction.atomic():
        changed = versioned_update(group, require_version(version), changes)
        if members is not None:
            added, removed = _set_group_members(actor, group, members)
            if added or removed:
                changed.append("members")
        if changed:
            audit.record(actor, AuditAction.UPDATE, group, changed_fields=changed)
    return group


def sharing_group_leave(
    *, actor: Actor, group: SharingGroup, organisation: Organisation | None = None
) -> None:
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


def sharing_group_delete(*, actor: Actor, group: SharingGroup) -> None:
    _require_manager(actor, group)
    if Case.objects.filter(sharing_group=group).exists():
        raise ValidationError(
            {"detail": _("Records are still shared through this group; share them otherwise "
                         "first.")}
        )
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETE, group)
        group.delete()
