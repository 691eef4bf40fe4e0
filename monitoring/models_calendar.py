"""A person's calendar feed of follow-ups (monitoring/calendar_feed.py): a secret address of
their own, kept here only as a digest.

A module of its own beside models.py, which it joins through an import there: models.py is
near the size where a file gets hard to read.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CalendarFeed(models.Model):
    """The address of one person's feed. Its secret is shown once, when it is made; the row
    keeps the SHA-256 of it, which the feed is looked up by. Resetting the address replaces
    the digest (the old address answers 404 at once); turning the feed off deletes the row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    # The user's session hash when the address was made: a new password ends the feed, as it
    # ends sessions and API tokens.
    password_fingerprint = models.CharField(max_length=128, editable=False)
    # When the current address was made (a reset makes a new one).
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"
