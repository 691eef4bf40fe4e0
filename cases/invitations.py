"""Invitations: how an account that already belongs to an organisation joins another.

An organisation's admins invite; only the invited account accepts or declines; the admins may
cancel while it is pending; an invitation lapses after `INVITATION_DAYS`. Platform staff
accounts are never invited, and never become members. Each step is an audit event.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, policy
from .models import Invitation, Membership, Organisation
from .services import check_may_join, check_may_manage_members, check_role

AuditAction = audit.Action
Status = Invitation.Status


def invitation_create(*, actor, organisation: Organisation, user, role: str) -> Invitation:
    check_role(role)
    check_may_manage_members(actor, organisation, role)
    check_may_join(organisation, user)
    now = timezone.now()
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                organisation=organisation, user=user, role=role,
                invited_by=actor if getattr(actor, "pk", None) else None,
                expires_at=now + datetime.timedelta(days=settings.INVITATION_DAYS),
            )
            _audit(actor, invitation, "invited")
    except IntegrityError:
        raise ValidationError(
            {"user": _("This person already has a pending invitation here.")}) from None
    return invitation


def _pending(invitation: Invitation) -> None:
    if invitation.status != Status.PENDING:
        raise ValidationError({"status": _("This invitation was already %(status)s.")
                               % {"status": Status(invitation.status).label.lower()}})
    if invitation.expires_at <= timezone.now():
        raise ValidationError({"status": _("This invitation has lapsed; ask for a new one.")})


def _answer(invitation: Invitation, status: str) -> bool:
    """Move a pending invitation on, once: False when someone else answered first."""
    now = timezone.now()
    moved = Invitation.objects.filter(pk=invitation.pk, status=Status.PENDING).update(
        status=status, answered_at=now)
    invitation.status, invitation.answered_at = status, now
    return bool(moved)


def _check_invitee(actor, invitation: Invitation) -> None:
    if getattr(actor, "pk", None) != invitation.user_id:
        raise PermissionDenied(_("Only the invited person answers an invitation."))


def invitation_accept(*, actor, invitation: Invitation) -> Membership:
    _check_invitee(actor, invitation)
    _pending(invitation)
    check_may_join(invitation.organisation, invitation.user)
    with transaction.atomic():
        if not _answer(invitation, Status.ACCEPTED):
            raise ValidationError({"status": _("This invitation was already answered.")})
        membership = Membership.objects.create(
            organisation=invitation.organisation, user=invitation.user, role=invitation.role)
        _audit(actor, invitation, "accepted")
        audit.record(actor, AuditAction.PERMISSION_CHANGE, membership, detail={
            "user": invitation.user.username, "role": invitation.role, "change": "added",
            "invitation": invitation.pk})
    policy.forget(actor)
    return membership


def invitation_decline(*, actor, invitation: Invitation) -> Invitation:
    _check_invitee(actor, invitation)
    _pending(invitation)
    with transaction.atomic():
        if _answer(invitation, Status.DECLINED):
            _audit(actor, invitation, "declined")
    return invitation


def invitation_cancel(*, actor, invitation: Invitation) -> Invitation:
    check_may_manage_members(actor, invitation.organisation, invitation.role)
    if invitation.status != Status.PENDING:
        raise ValidationError({"status": _("Only a pending invitation can be cancelled.")})
    with transaction.atomic():
        if _answer(invitation, Status.CANCELLED):
            _audit(actor, invitation, "cancelled")
    return invitation


def pending_for(user):
    """The invitations waiting for `user`'s answer."""
    return Invitation.objects.filter(
        user_id=user.pk, status=Status.PENDING, expires_at__gt=timezone.now()
    ).select_related("organisation", "invited_by")


def _audit(actor, invitation: Invitation, change: str) -> None:
    audit.record(actor, AuditAction.INVITATION, invitation,
                 organisation_id=invitation.organisation_id,
                 detail={"user": invitation.user.username, "role": invitation.role,
                         "change": change})
