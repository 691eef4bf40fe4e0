"""API tokens: making and revoking them, who sees whose, and what a token needs to work.

The secret of a token is returned once, by `token_create`; only knox's hash of it is kept. A
token belongs to a person and acts with all of that person's rights, within its scope.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import policy
from cases.models import Membership, Organisation

from . import events
from .models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

DEFAULT_DAYS = 90
MAX_DAYS = 365
# `last_used` is written at most this often per token: a busy script does not write on every
# request.
LAST_USED_EVERY = datetime.timedelta(seconds=60)


class Reason:
    """Why a token was revoked without its owner or an admin asking (the audit event's detail)."""

    LAST_MEMBERSHIP = "last_membership_removed"
    DEACTIVATED = "user_deactivated"
    PASSWORD_CHANGED = "password_changed"


def fingerprint(user: AbstractBaseUser) -> str:
    """What a token remembers of its owner's password: Django's session hash, which changes with
    the password (and with SECRET_KEY)."""
    return user.get_session_auth_hash()


# --- reading ------------------------------------------------------------------------------------


def with_membership(queryset: QuerySet[ApiToken]) -> QuerySet[ApiToken]:
    """Each token with its user, and whether the user belongs to any organisation (`member`),
    in one query: the authentication's lookup."""
    return queryset.select_related("user").annotate(
        member=Exists(Membership.objects.filter(user_id=OuterRef("user_id")))
    )


def managed_organisations(user: AbstractBaseUser) -> list[int]:
    """The organisations whose members' tokens `user` sees and revokes: those it manages."""
    return policy.organisations_with(user, policy.Resource.MEMBERSHIP,
                                     policy.Action.MANAGE_MEMBERS)


def visible_to(user: AbstractBaseUser) -> QuerySet[ApiToken]:
    """The user's own tokens, and those of the members of the organisations it administers."""
    members = Membership.objects.filter(organisation_id__in=managed_organisations(user))
    return ApiToken.objects.filter(
        Q(user_id=user.pk) | Q(user_id__in=members.values("user_id"))
    )


def of_organisation(organisation: Organisation) -> QuerySet[ApiToken]:
    """The tokens of an organisation's members (of every organisation they belong to: a token
    is a person's, not an organisation's)."""
    members = Membership.objects.filter(organisation=organisation).values("user_id")
    return ApiToken.objects.filter(user_id__in=members).select_related("user")


def is_expired(token: ApiToken, now: datetime.datetime) -> bool:
    return token.expiry <= now


def stamp_use(record, field: str, every: datetime.timedelta,
              now: datetime.datetime | None = None) -> None:
    """Note that `record` (a token, a calendar feed) was used, in its datetime `field`, at most
    once per `every`: no write when the row already says it was used lately, and a conditional
    one otherwise (two requests at once write once)."""
    now = now or timezone.now()
    stale = now - every
    last = getattr(record, field)
    if last is not None and last >= stale:
        return
    type(record).objects.filter(pk=record.pk).filter(
        Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": stale})
    ).update(**{field: now})
    setattr(record, field, now)


def touch(token: ApiToken, now: datetime.datetime | None = None) -> None:
    """Note the token's use, at most once per LAST_USED_EVERY."""
    stamp_use(token, "last_used", LAST_USED_EVERY, now)


# --- writing ------------------------------------------------------------------------------------


def token_create(
    *, actor: AbstractBaseUser, user: AbstractBaseUser, name: str, scope: str,
    expires_in_days: int = DEFAULT_DAYS,
) -> tuple[ApiToken, str]:
    """A new token of `user`, and its secret (shown once, never stored). A person makes its own
    tokens only; the caller has checked the second factor (the API endpoint, the web page)."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("A token is made by its owner only."))
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the token a name.")
    elif len(name) > ApiToken._meta.get_field("name").max_length:
        errors["name"] = _("Keep the name under 100 characters.")
    if scope not in ApiToken.Scope.values:
        errors["scope"] = _("Unknown scope. Choose one of: %(scopes)s.") % {
            "scopes": ", ".join(ApiToken.Scope.values)}
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int) or not (
        1 <= expires_in_days <= MAX_DAYS
    ):
        errors["expires_in_days"] = _("A token lasts from 1 to %(days)d days.") % {
            "days": MAX_DAYS}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        token, secret = ApiToken.objects.create(
            user=user, expiry=datetime.timedelta(days=expires_in_days), name=name, scope=scope,
            password_fingerprint=fingerprint(user),
        )
        events.record(actor=actor, action=events.Action.TOKEN_CREATE, user=user, obj=token,
                      detail=_detail(token))
    return token, secret


def token_revoke(*, actor: AbstractBaseUser, token: ApiToken) -> None:
    """Revoke a token: its owner, or an admin of one of the owner's organisations. For anyone
    else the token does not exist."""
    if not visible_to(actor).filter(pk=token.pk).exists():
        raise Http404
    with transaction.atomic():
        events.record(actor=actor, action=events.Action.TOKEN_REVOKE, user=token.user,
                      obj=token, detail=_detail(token))
        token.delete()


def revoke_all(
    *, user: AbstractBaseUser, reason: str, organisation_id: int | None = None
) -> int:
    """Revoke every token of `user`, for `reason`, with no one acting; the events go to the
    user's organisations, or to `organisation_id` (the one the user just left). How many."""
    tokens = list(ApiToken.objects.filter(user_id=user.pk))
    with transaction.atomic():
        for token in tokens:
            events.record(actor=None, action=events.Action.TOKEN_REVOKE, user=user, obj=token,
                          detail={**_detail(token), "reason": reason},
                          organisation_id=organisation_id)
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).delete()
    return len(tokens)


def _detail(token: ApiToken) -> dict:
    """What the audit log says of a token: never its secret, digest or key."""
    return {"name": token.name, "scope": token.scope}
