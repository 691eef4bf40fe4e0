"""Organisations and their members: who belongs where, with which role."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Country, Membership, Organisation
from ..policy import Action, Resource
from .common import Actor, Operator, raise_errors, require_version, versioned_update

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

AuditAction = audit.Action


def organisation_create(
    *, actor: Actor, slug: str, name: str, kind: str, country: Country, mfa_required: bool = True
) -> Organisation:
    if not isinstance(actor, Operator) and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only platform staff create organisations."))
    errors = {}
    if kind not in Organisation.Kind.values:
        errors["kind"] = _("Unknown kind. Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(Organisation.Kind.values)
        }
    if Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = _("An organisation with this slug exists.")
    raise_errors(errors)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            slug=slug, name=name, kind=kind, country=country, mfa_required=mfa_required
        )
        audit.record(actor, AuditAction.CREATE, organisation)
    return organisation


def organisation_mfa_set(*, actor: Actor, organisation: Organisation, required: bool) -> None:
    """An org admin requires two factors of every member, or stops requiring them."""
    if not isinstance(actor, Operator) and not policy.has_right(
        actor, organisation.pk, Resource.MEMBERSHIP, Action.MANAGE_MEMBERS
    ):
        raise PermissionDenied(_("Only the organisation's admins decide this."))
    if organisation.mfa_required == required:
        return
    with transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(mfa_required=required)
        organisation.mfa_required = required
        audit.record(actor, AuditAction.UPDATE, organisation, changed_fields=["mfa_required"],
                     detail={"mfa_required": required})


def organisation_share_without_consent_set(
    *, actor: Actor, organisation: Organisation, rule: str
) -> None:
    """An org admin decides whether a case or finding whose subject withheld consent to share
    may still be shared, with a reason recorded ("reason"), or never ("refuse")."""
    if not isinstance(actor, Operator) and not policy.has_right(
        actor, organisation.pk, Resource.MEMBERSHIP, Action.MANAGE_MEMBERS
    ):
        raise PermissionDenied(_("Only the organisation's admins decide this."))
    if rule not in Organisation.ShareWithoutConsent.values:
        raise ValidationError({"share_without_consent": _("Choose one of: %(rules)s.") % {
            "rules": ", ".join(Organisation.ShareWithoutConsent.values)}})
    if organisation.share_without_consent == rule:
        return
    with transaction.atomic():
        before = organisation.share_without_consent
        Organisation.objects.filter(pk=organisation.pk).update(share_without_consent=rule)
        organisation.share_without_consent = rule
        audit.record(actor, AuditAction.UPDATE, organisation,
                     changed_fields=["share_without_consent"],
                     detail={"share_without_consent": {"from": before, "to": rule}})


def check_may_manage_members(actor: Actor, organisation: Organisation, role: str | None) -> None:
    if isinstance(actor, Operator):
        return
    if not policy.has_right(actor, organisation.pk, Resource.MEMBERSHIP, Action.VIEW):
        # Only reachable when naming an organisation (an existing membership of another
        # organisation is already invisible): refused like any value the caller may not use.
        raise ValidationError(
            {"organisation": _("Your role in this organisation does not allow this.")}
        )
    if not policy.has_right(actor, organisation.pk, Resource.MEMBERSHIP, Action.MANAGE_MEMBERS):
        raise PermissionDenied(_("Only the organisation's admins manage its members."))
    if role is not None and not policy.may_grant(actor, organisation.pk, role):
        raise PermissionDenied(_("You cannot grant a role above your own."))


def check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise ValidationError(
            {"role": _("Unknown role. Choose one of: %(roles)s.")
             % {"roles": ", ".join(Membership.Role.values)}}
        )


def takes_last_admin(membership: Membership, role: str | None = None) -> bool:
    """Whether giving `membership` `role`, or removing it (None), would leave its organisation
    without an admin."""
    admin = Membership.Role.ORG_ADMIN
    return (
        membership.role == admin
        and role != admin
        and not Membership.objects.filter(organisation_id=membership.organisation_id, role=admin)
        .exclude(pk=membership.pk)
        .exists()
    )


def check_keeps_an_admin(membership: Membership, role: str | None = None) -> None:
    if takes_last_admin(membership, role):
        raise ValidationError({"role": _("An organisation keeps at least one admin.")})


def check_may_join(organisation: Organisation, user: AbstractBaseUser) -> None:
    """Refuse an account that may not become a member of `organisation`."""
    if user.is_staff or user.is_superuser:
        raise ValidationError({"user": _(
            "Platform staff accounts never become members of an organisation: staff do not "
            "hold case data.")})
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({"user": _("This person is already a member.")})


def belongs_elsewhere(organisation: Organisation, user: AbstractBaseUser) -> bool:
    return Membership.objects.filter(user=user).exclude(organisation=organisation).exists()


def membership_create(
    *, actor: Actor, organisation: Organisation, user: AbstractBaseUser, role: str
) -> Membership:
    """Add a member. An account that belongs to another organisation joins only by accepting
    an invitation (`cases.invitations`), unless platform staff add it."""
    check_role(role)
    check_may_manage_members(actor, organisation, role)
    check_may_join(organisation, user)
    if not isinstance(actor, Operator) and belongs_elsewhere(organisation, user):
        raise ValidationError({"user": _(
            "This person belongs to another organisation: invite them instead; they become a "
            "member once they accept.")})
    with transaction.atomic():
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            detail={"user": user.username, "role": role, "change": "added"},
        )
    policy.forget(user)
    return membership


def membership_update(
    *, actor: Actor, membership: Membership, version: int | None, role: str | None = None
) -> Membership:
    role = role or membership.role
    check_role(role)
    check_may_manage_members(actor, membership.organisation, role)
    # Also the role being taken away must be one the actor could grant.
    check_may_manage_members(actor, membership.organisation, membership.role)
    check_keeps_an_admin(membership, role)
    with transaction.atomic():
        before = membership.role
        changed = versioned_update(membership, require_version(version), {"role": role})
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            changed_fields=changed,
            detail={"user": membership.user.username, "from": before, "to": role},
        )
    policy.forget(membership.user)
    return membership


def membership_delete(*, actor: Actor, membership: Membership) -> None:
    check_may_manage_members(actor, membership.organisation, membership.role)
    check_keeps_an_admin(membership)
    with transaction.atomic():
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            detail={"user": membership.user.username, "role": membership.role, "change": "removed"},
        )
        membership.delete()
    policy.forget(membership.user)
