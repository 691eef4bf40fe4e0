"""Delivering the outbox: each notification is claimed by one deliverer (a lease written with a
conditional update), sent, and marked sent or failed with its error and next attempt.

A worker that dies mid-delivery leaves its lease to expire; the next run takes the row again.
The e-mail's Message-ID is derived from the deduplication key, so in the one window that
cannot be closed (the mail server accepted the message, the worker died before recording it)
a second copy carries the same Message-ID and mail clients show it once.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone, translation

from accounts import preferences
from cases import policy
from cases.models import Case

from .models import Finding, Notification

log = logging.getLogger(__name__)

LEASE = datetime.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> datetime.timedelta:
    """1, 2, 4 … minutes after each failure, at most six hours."""
    return datetime.timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def pending(now: datetime.datetime):
    return Notification.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        Q(lease_until__isnull=True) | Q(lease_until__lt=now),
        sent_at__isnull=True,
        failed=False,
    )


def claim(notification_id: int, now: datetime.datetime) -> bool:
    # The lease runs from the moment of the claim: a long batch passes its start as `now`,
    # and a lease counted from there could be over before the message is even sent.
    return bool(
        pending(now).filter(pk=notification_id).update(
            lease_until=max(now, timezone.now()) + LEASE
        )
    )


def _message_id(dedup_key: str) -> str:
    return hashlib.sha256(dedup_key.encode()).hexdigest()[:40]


def _message(notification: Notification) -> EmailMessage:
    """The e-mail, in the recipient's language (the platform's unless they chose one), its
    moments in the platform's time zone; a notice without params as it was stored."""
    domain = settings.NOTIFICATION_MESSAGE_ID_DOMAIN
    subject, body = notification.subject, notification.body
    if notification.params:
        language = preferences.language_for_mail(notification.recipient)
        with translation.override(language), timezone.override(settings.TIME_ZONE):
            title, body = notification.text()
        subject = f"{Notification.EMAIL_PREFIX}{title}"
    return EmailMessage(
        subject=subject,
        body=body,
        to=[notification.recipient.email],
        headers={"Message-ID": f"<{_message_id(notification.dedup_key)}@{domain}>"},
    )


# Whether the recipient may still see what a notification not about a case is about, by kind:
# registered by the app whose record it is.
_STILL_FOR: dict[str, Callable[[Notification], bool]] = {}


def register_still_for(kind: str, check: Callable[[Notification], bool]) -> None:
    _STILL_FOR[kind] = check


def _finding_still_for(notification: Notification) -> bool:
    """A notice about a finding (whose id it keeps in `export`, the column of records other
    than cases and follow-ups): while the recipient may see the finding, not only its case."""
    return policy.visible(notification.recipient, Finding).filter(
        pk=notification.export
    ).exists()


register_still_for(Notification.Kind.FINDING_SHARED, _finding_still_for)
register_still_for(Notification.Kind.FINDING_COMMENT, _finding_still_for)


def _still_for(notification: Notification) -> bool:
    """Whether the recipient may still see what the notification is about: the check its kind
    registered, else its case (a notice no one answers for is never sent)."""
    check = _STILL_FOR.get(notification.kind)
    if check is not None:
        return check(notification)
    if notification.case_id is not None:
        return policy.visible(notification.recipient, Case).filter(
            pk=notification.case_id
        ).exists()
    return False


def deliver(notification_id: int, now: datetime.datetime | None = None) -> str:
    """Deliver one notification if this caller wins its lease; returns what happened."""
    now = now or timezone.now()
    if not claim(notification_id, now):
        return "skipped"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    attempts = notification.attempts + 1
    if not _still_for(notification):
        # The recipient left the organisation or the case was narrowed since the alert was
        # written: it is not sent.
        Notification.objects.filter(pk=notification_id).update(
            attempts=attempts, failed=True, lease_until=None,
            last_error="The recipient can no longer see what this is about.",
        )
        return "withheld"
    try:
        if notification.send_email and notification.recipient.email:
            _message(notification).send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - any failure of the mail backend is recorded
        log.warning("delivery of notification %s failed: %s", notification_id, exc)
        Notification.objects.filter(pk=notification_id).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + backoff(attempts),
            failed=attempts >= MAX_ATTEMPTS,
            lease_until=None,
        )
        return "failed"
    Notification.objects.filter(pk=notification_id).update(
        sent_at=timezone.now(), attempts=attempts, last_error="", lease_until=None
    )
    return "sent"


def deliver_pending(now: datetime.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "skipped": 0, "withheld": 0}
    ids = list(pending(now).order_by("pk").values_list("pk", flat=True)[:limit])
    for notification_id in ids:
        counts[deliver(notification_id, now)] += 1
    return counts
