"""Delivering the outbox a batch at a time: a deliverer claims a batch of pending
notifications (`FOR UPDATE SKIP LOCKED`, so deliverers side by side take different rows, and a
lease on each), checks in one query per recipient that each may still see what it is about,
sends them over one mail connection, and records what it sent every 250 messages or every
second, with the errors and next attempts of what failed.

A worker that dies mid-batch leaves its leases to expire; the next run takes those rows again.
The e-mail's Message-ID is derived from the deduplication key, so in the window that cannot be
closed (the mail server accepted a message, the worker died before recording it: at most the
last second's messages) a second copy carries the same Message-ID, which a relay or mail client
drops as a duplicate."""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation

from accounts import preferences
from cases import policy
from cases.models import Case

from .models import Finding, Notification

log = logging.getLogger(__name__)

LEASE = datetime.timedelta(seconds=settings.NOTIFICATION_LEASE_SECONDS)
MAX_ATTEMPTS = 8
# Notifications claimed at once, and how often a batch records what it sent.
BATCH = settings.NOTIFICATION_BATCH_SIZE
FLUSH_EVERY = 250
FLUSH_SECONDS = 1.0


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
    """The e-mail, in the active language (the caller's: the recipient's), its moments in the
    active time zone (the platform's); a notice without params as it was stored."""
    domain = settings.NOTIFICATION_MESSAGE_ID_DOMAIN
    subject, body = notification.subject, notification.body
    if notification.params:
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


def claim_batch(now: datetime.datetime, limit: int) -> tuple[list[int], datetime.datetime]:
    """Claim up to `limit` pending notifications, a recipient's together (oldest first), and
    the moment their lease ends. Rows another deliverer is claiming at the same moment are
    skipped, not waited for (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer,
    whose transaction takes the lock at BEGIN)."""
    with transaction.atomic():
        ids = list(pending(now).order_by("recipient_id", "pk").select_for_update(skip_locked=True)
                   .values_list("pk", flat=True)[:limit])
        lease_until = max(now, timezone.now()) + LEASE
        if ids:
            Notification.objects.filter(pk__in=ids).update(lease_until=lease_until)
    return ids, lease_until


def _visible_cases(notifications: list[Notification]) -> set[tuple[int, int]]:
    """(recipient, case) pairs among `notifications` that the recipient may still see: one
    query per recipient, whatever the number of notifications."""
    wanted: dict[int, set[int]] = defaultdict(set)
    recipients = {}
    for notification in notifications:
        if notification.case_id is not None and notification.kind not in _STILL_FOR:
            wanted[notification.recipient_id].add(notification.case_id)
            recipients[notification.recipient_id] = notification.recipient
    return {
        (recipient_id, case_id)
        for recipient_id, case_ids in wanted.items()
        for case_id in policy.visible(recipients[recipient_id], Case)
        .filter(pk__in=case_ids).values_list("pk", flat=True)
    }


class _Batch:
    """The outcome of a claimed batch, written a few rows at a time: what was sent is
    recorded at least every FLUSH_EVERY messages or FLUSH_SECONDS, so a worker killed
    mid-batch resends at most those few (with the same Message-ID) and nothing else."""

    def __init__(self, lease_until: datetime.datetime):
        self.lease_until = lease_until
        self.sent: list[int] = []
        self.flushed_at = time.monotonic()
        self.counts = {"sent": 0, "failed": 0, "skipped": 0, "withheld": 0}

    def record_sent(self, notification_id: int) -> None:
        self.sent.append(notification_id)
        self.counts["sent"] += 1
        if (len(self.sent) >= FLUSH_EVERY
                or time.monotonic() - self.flushed_at >= FLUSH_SECONDS):
            self.flush()

    def flush(self) -> None:
        if self.sent:
            Notification.objects.filter(pk__in=self.sent).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1, last_error="",
                lease_until=None)
            self.sent = []
        self.flushed_at = time.monotonic()

    def withhold(self, ids: list[int]) -> None:
        if ids:
            # The recipient left the organisation or the case was narrowed since the alert
            # was written: it is not sent.
            Notification.objects.filter(pk__in=ids).update(
                attempts=F("attempts") + 1, failed=True, lease_until=None,
                last_error="The recipient can no longer see what this is about.")
            self.counts["withheld"] += len(ids)

    def fail(self, notification: Notification, exc: Exception) -> None:
        log.warning("delivery of notification %s failed: %s", notification.pk, exc)
        attempts = notification.attempts + 1
        Notification.objects.filter(pk=notification.pk).update(
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            next_attempt_at=timezone.now() + backoff(attempts),
            failed=attempts >= MAX_ATTEMPTS,
            lease_until=None,
        )
        self.counts["failed"] += 1

    def release(self, ids: list[int]) -> None:
        """Hand back claims not reached before the lease's margin: another run takes them."""
        if ids:
            Notification.objects.filter(pk__in=ids, lease_until=self.lease_until,
                                        sent_at__isnull=True).update(lease_until=None)
            self.counts["skipped"] += len(ids)


def _deliver_claimed(ids: list[int], lease_until: datetime.datetime) -> dict[str, int]:
    """Send the claimed notifications over one mail connection. Sending stops while half the
    lease is left, so a claim is never sent after its lease could have passed to another."""
    batch = _Batch(lease_until)
    notifications = list(Notification.objects.select_related("recipient").filter(pk__in=ids)
                         .order_by("pk"))
    seen_cases = _visible_cases(notifications)

    def still_for(notification: Notification) -> bool:
        check = _STILL_FOR.get(notification.kind)
        if check is not None:
            return check(notification)
        return (notification.recipient_id, notification.case_id) in seen_cases

    languages = preferences.languages_for_mail({n.recipient_id for n in notifications})
    withheld = {n.pk for n in notifications if not still_for(n)}
    batch.withhold(sorted(withheld))
    # Each in the recipient's language (the platform's unless they chose one), a language's
    # messages together; moments in the platform's time zone.
    to_send = sorted((n for n in notifications if n.pk not in withheld),
                     key=lambda n: (languages[n.recipient_id], n.pk))
    deadline = lease_until - LEASE / 2
    # One connection to the mail server for the batch, opened at the first message and again
    # after a failure (a server that dropped the connection is dialled anew).
    with (translation.override(translation.get_language()),
          timezone.override(settings.TIME_ZONE)):
        _send(to_send, languages, get_connection(), batch, deadline)
    batch.flush()
    return batch.counts


def _send(to_send: list[Notification], languages: dict[int, str], mail, batch: _Batch,
          deadline: datetime.datetime) -> None:
    """Send `to_send` in order over `mail`, each in its recipient's language, until the
    deadline; what is not reached by then is handed back."""
    opened = False
    try:
        for position, notification in enumerate(to_send):
            if translation.get_language() != languages[notification.recipient_id]:
                translation.activate(languages[notification.recipient_id])
            if timezone.now() >= deadline:
                batch.flush()
                batch.release([n.pk for n in to_send[position:]])
                break
            try:
                if notification.send_email and notification.recipient.email:
                    if not opened:
                        mail.open()
                        opened = True
                    message = _message(notification)
                    message.connection = mail
                    message.send(fail_silently=False)
            except Exception as exc:  # noqa: BLE001 - any failure of the mail backend is kept
                batch.fail(notification, exc)
                if opened:
                    opened = False
                    with contextlib.suppress(Exception):
                        mail.close()
                continue
            batch.record_sent(notification.pk)
    finally:
        if opened:
            mail.close()


def deliver(notification_id: int, now: datetime.datetime | None = None) -> str:
    """Deliver one notification if this caller wins its lease; returns what happened."""
    now = now or timezone.now()
    if not claim(notification_id, now):
        return "skipped"
    lease_until = Notification.objects.filter(pk=notification_id).values_list(
        "lease_until", flat=True).first()
    counts = _deliver_claimed([notification_id], lease_until) if lease_until else {}
    # Nothing to count: the row went (its case was deleted) between the claim and the read.
    return next((outcome for outcome, count in counts.items() if count), "skipped")


def deliver_batch(now: datetime.datetime | None = None, size: int = BATCH) -> dict[str, int]:
    """Claim one batch of pending notifications and deliver it; counts by outcome, with
    "claimed" for how many this run took."""
    ids, lease_until = claim_batch(now or timezone.now(), size)
    counts = _deliver_claimed(ids, lease_until) if ids else dict.fromkeys(
        ("sent", "failed", "skipped", "withheld"), 0)
    return {**counts, "claimed": len(ids)}


def deliver_pending(now: datetime.datetime | None = None, limit: int = 1000) -> dict[str, int]:
    """Deliver up to `limit` pending notifications, a batch at a time."""
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0, "skipped": 0, "withheld": 0}
    while limit > 0:
        done = deliver_batch(now, min(BATCH, limit))
        for outcome in counts:
            counts[outcome] += done[outcome]
        if done["claimed"] == 0:
            break
        limit -= done["claimed"]
    return counts
