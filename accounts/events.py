"""Events of a person's account, in the audit log of each organisation the person belongs to
(so its auditors and admins see them), like sign-ins (cases.services.logins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cases import audit
from cases.models import Membership

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Action = audit.Action


def record(
    *, actor: object | None, action: str, user: AbstractBaseUser, obj: object | None = None,
    detail: dict | None = None, organisation_id: int | None = None,
) -> None:
    """One event per organisation of `user` (or one without an organisation), or in
    `organisation_id` alone (one the person has just left); `actor` is who did it: the person,
    an org admin, an operator, or None for an anonymous attempt or an automatic consequence."""
    organisations = [organisation_id] if organisation_id is not None else list(
        Membership.objects.filter(user=user).values_list("organisation_id", flat=True)
    ) or [None]
    detail = {"account": user.get_username(), **(detail or {})}
    audit.record_many([
        audit.Entry(actor, action, obj=obj, organisation_id=org, detail=detail)
        for org in organisations
    ])
