"""The delivery of monitoring alerts: each notification sent once by email and marked sent,
a recipient's choice respected, a failing mail server retried with growing backoff, a lease
held by one deliverer at a time, and membership checked again when an alert goes out.

The clock is frozen at NOW."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from cases.models import Membership
from monitoring import delivery
from monitoring.models import (
    Notification,
    NotificationPreference,
)
from monitoring.sweep import sweep

from ..factories import CaseFactory
from ..monitoring_helpers import (
    DAY,
    FAILING_EMAIL_BACKEND,
    HOUR,
    NOW,
    SECOND,
    freeze,
    monitored_case,
)
from .test_monitoring_schedule import (
    D0,
    ON_POSTGRESQL,
    Kind,
    workers,
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


# --- delivery --------------------------------------------------------------------------------


def clock_now() -> datetime.datetime:
    return timezone.now()


def _notification(world, user=None, kind=Kind.DUE, key="k", **fields) -> Notification:
    case = fields.pop("case", None) or CaseFactory(owner=world.ngo_fr)
    return Notification.objects.create(
        recipient=user or world.fr_caseworker, kind=kind, case=case, dedup_key=key,
        subject=f"[Extradition Monitor] {case.reference}", body="A follow-up is due.", **fields,
    )


def test_each_notification_is_sent_once_by_email_and_marked_sent(world):
    case = monitored_case(world)
    sweep(now=D0 + HOUR)
    rows = list(Notification.objects.all())
    assert len(rows) == len(workers(world))

    counts = delivery.deliver_pending()

    assert counts["sent"] == len(rows)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in (
        world.fr_caseworker, world.fr_admin))
    assert all(case.reference in m.subject for m in mail.outbox)
    assert len({m.extra_headers["Message-ID"] for m in mail.outbox}) == len(rows)
    for row in Notification.objects.all():
        assert row.sent_at == NOW and row.attempts == 1 and row.last_error == ""
    assert delivery.deliver_pending()["sent"] == 0
    assert len(mail.outbox) == len(rows)


def test_a_recipient_who_turned_email_off_gets_no_email_and_the_row_is_still_sent(world):
    NotificationPreference.objects.create(user=world.fr_caseworker, kind=Kind.DUE, email=False)
    NotificationPreference.objects.create(user=world.fr_admin, kind=Kind.OVERDUE, email=False)
    case = monitored_case(world)
    sweep(now=D0 + HOUR)

    delivery.deliver_pending()

    assert [m.to for m in mail.outbox] == [[world.fr_admin.email]]
    quiet = Notification.objects.get(recipient=world.fr_caseworker, case=case)
    assert quiet.send_email is False and quiet.sent_at == NOW


def test_a_failing_mail_server_is_retried_with_growing_backoff_then_given_up(
    world, settings, clock
):
    settings.EMAIL_BACKEND = FAILING_EMAIL_BACKEND
    row = _notification(world)
    delays = []
    for attempt in range(1, delivery.MAX_ATTEMPTS + 1):
        assert delivery.deliver_pending() == {"sent": 0, "failed": 1, "skipped": 0,
                                              "withheld": 0}
        row.refresh_from_db()
        assert row.attempts == attempt and row.sent_at is None
        assert "ConnectionRefusedError" in row.last_error
        if attempt == delivery.MAX_ATTEMPTS:
            break
        assert not row.failed
        now = clock_now()
        delays.append(row.next_attempt_at - now)
        # Not tried again before its time.
        clock.move_to(row.next_attempt_at - SECOND)
        assert delivery.deliver_pending()["failed"] == 0
        clock.move_to(row.next_attempt_at)

    assert row.failed
    assert delays == sorted(set(delays)) and len(delays) == delivery.MAX_ATTEMPTS - 1
    assert delays[0] == datetime.timedelta(minutes=1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(clock_now() + 30 * DAY)
    assert sum(delivery.deliver_pending().values()) == 0
    assert mail.outbox == []


def test_a_notification_that_failed_once_is_sent_on_its_retry(world, settings, clock):
    settings.EMAIL_BACKEND = FAILING_EMAIL_BACKEND
    row = _notification(world)
    delivery.deliver_pending()
    row.refresh_from_db()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    clock.move_to(row.next_attempt_at)
    assert delivery.deliver_pending()["sent"] == 1

    row.refresh_from_db()
    assert row.sent_at == row.next_attempt_at and row.attempts == 2 and row.last_error == ""
    assert len(mail.outbox) == 1


def test_a_notification_whose_lease_is_held_is_skipped_until_the_lease_runs_out(world, clock):
    row = _notification(world, lease_until=NOW + 60 * SECOND)

    assert delivery.deliver(row.pk) == "skipped"
    assert sum(delivery.deliver_pending().values()) == 0
    assert mail.outbox == []

    clock.move_to(NOW + 61 * SECOND)
    assert delivery.deliver_pending()["sent"] == 1
    assert len(mail.outbox) == 1


def test_of_two_deliverers_claiming_at_the_same_instant_one_wins(world):
    row = _notification(world)
    assert delivery.claim(row.pk, NOW) is True
    assert delivery.claim(row.pk, NOW) is False
    # A worker that died leaves its lease to run out; then the row can be taken again.
    assert delivery.claim(row.pk, NOW + delivery.LEASE + SECOND) is True


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_of_deliverers_racing_on_separate_connections_one_wins(world):
    rows = [_notification(world, key=f"race-{i}") for i in range(10)]
    barrier = threading.Barrier(2)
    won: list[int] = []

    def run():
        try:
            for row in rows:
                barrier.wait()
                if delivery.claim(row.pk, NOW):
                    won.append(row.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(won) == sorted(row.pk for row in rows)


def test_membership_is_checked_again_when_an_alert_is_delivered(world):
    # Removing someone from the organisation between the sweep and the delivery withholds it.
    monitored_case(world)
    sweep(now=D0 + HOUR)
    Membership.objects.filter(user=world.fr_admin).delete()
    counts = delivery.deliver_pending()
    assert counts["sent"] == 1 and counts["withheld"] == 1
    assert [m.to for m in mail.outbox] == [[world.fr_caseworker.email]]
