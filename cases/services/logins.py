"""Sign-ins, in the audit log of the organisations they concern."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model

from .. import audit, policy
from ..models import Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

User = get_user_model()
AuditAction = audit.Action


def record_login(
    *, user: AbstractBaseUser | None, succeeded: bool, username: str = ""
) -> None:
    """A sign-in, in the log of each of the user's organisations (so their auditors see it).

    A failed attempt names the account only if one has that username: what was typed may
    be a password entered in the wrong field.
    """
    if succeeded:
        organisations = list(policy.roles(user)) or [None]
        audit.record_many(
            [audit.Entry(user, AuditAction.LOGIN, organisation_id=org) for org in organisations]
        )
        return
    account = User.objects.filter(username=username[:150]).first()
    organisations = (
        list(Membership.objects.filter(user=account).values_list("organisation_id", flat=True))
        if account
        else []
    ) or [None]
    detail = {"username": account.username if account else "(no such account)"}
    audit.record_many(
        [audit.Entry(None, AuditAction.LOGIN_FAILED, organisation_id=org, detail=detail)
         for org in organisations]
    )
