"""A person's calendar feed: making or resetting its secret address, and turning it off.

Each is the person's own act on their own feed, audited (`calendar_feed`) in the log of each
organisation they belong to, like their API tokens: what was done, never the secret or its
digest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import events
from accounts.tokens import fingerprint
from cases import policy

from .. import calendar_feed
from ..models import CalendarFeed

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


class Change:
    """What happened to the feed (the audit event's detail)."""

    MADE = "made"
    RESET = "reset"
    TURNED_OFF = "turned_off"


def calendar_feed_reset(*, actor: AbstractBaseUser) -> str:
    """Make the actor's feed address, or replace it: the old one answers 404 at once. Returns
    the secret, to be shown once; only its digest is kept. For members of an organisation."""
    if not policy.roles(actor):
        raise PermissionDenied(_("The calendar feed is for members of an organisation."))
    token = calendar_feed.new_token()
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().update_or_create(
            user_id=actor.pk,
            defaults={"token_digest": calendar_feed.digest(token),
                      "password_fingerprint": fingerprint(actor),
                      "created_at": timezone.now(), "last_used_at": None},
        )
        events.record(actor=actor, action=events.Action.CALENDAR_FEED, user=actor, obj=feed,
                      detail={"calendar_feed": Change.MADE if created else Change.RESET})
    return token


def calendar_feed_delete(*, actor: AbstractBaseUser) -> bool:
    """Turn the actor's feed off: its address answers 404 from now on. Whether there was one."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(user_id=actor.pk).first()
        if feed is None:
            return False
        events.record(actor=actor, action=events.Action.CALENDAR_FEED, user=actor, obj=feed,
                      detail={"calendar_feed": Change.TURNED_OFF})
        feed.delete()
    return True
