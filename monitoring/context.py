"""Template context of every page: how many of the user's notifications are unread, counted
only when a page shows the number (the template calls it) and through the policy's
restricted queryset, so an alert about a case the user no longer sees does not count."""

from functools import cache

from accounts import mfa
from cases.views.base import visible

from .models import Notification


def unread_notifications(request) -> dict:
    user = request.user
    if not user.is_authenticated:
        return {}

    @cache
    def count() -> int:
        # Nothing before the second factor: the verify page shows no count.
        if not user.is_verified() and mfa.pending_step(user) is not None:
            return 0
        return visible(request, Notification).filter(read_at__isnull=True).count()

    return {"unread_notifications": count}
