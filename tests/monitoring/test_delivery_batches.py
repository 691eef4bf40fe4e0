"""Delivery by batches: a run claims many notifications at once, deliverers side by side never
take the same row, the statements of a batch do not grow with its size, and a batch that runs
long hands back what it has not reached before its lease could pass to another.

The clock is frozen at NOW."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Membership
from monitoring import delivery
from monitoring.models import Notification

from ..factories import CaseFactory, MembershipFactory, UserFactory
from ..monitoring_helpers import NOW, SECOND, freeze
from .test_monitoring_schedule import ON_POSTGRESQL, Kind


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def _outbox(world, count: int, recipients: int = 3) -> list[Notification]:
    """`count` pending notifications about cases of the French NGO, spread over `recipients`
    caseworkers and over as many cases."""
    people = [world.fr_caseworker] + [
        MembershipFactory(user=UserFactory(username=f"batch_{count}_{n}"),
                          organisation=world.ngo_fr, role=Membership.Role.CASEWORKER).user
        for n in range(recipients - 1)]
    cases = [CaseFactory(owner=world.ngo_fr) for _ in range(min(count, 5))]
    return Notification.objects.bulk_create(
        Notification(recipient=people[n % recipients], kind=Kind.DUE, case=cases[n % len(cases)],
                     dedup_key=f"batch:{n}", subject="Follow-up due", body="Due now.")
        for n in range(count))


def _statements(world, count: int) -> int:
    Notification.objects.all().delete()
    mail.outbox.clear()
    _outbox(world, count)
    with CaptureQueriesContext(connection) as queries:
        counts = delivery.deliver_batch(NOW, size=count)
    assert counts["sent"] == count and len(mail.outbox) == count
    return len(queries)


def test_a_batch_costs_the_same_statements_for_six_notifications_or_sixty(world):
    # Claim (select and lease), read the rows, one visibility query per recipient, one update
    # of what was sent: none per notification.
    assert _statements(world, 6) == _statements(world, 60)
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert set(Notification.objects.values_list("attempts", "lease_until")) == {(1, None)}


def test_a_batch_takes_at_most_its_size_and_the_next_run_the_rest(world):
    _outbox(world, 7)
    first = delivery.deliver_batch(NOW, size=5)
    assert (first["claimed"], first["sent"]) == (5, 5)
    second = delivery.deliver_batch(NOW, size=5)
    assert (second["claimed"], second["sent"]) == (2, 2)
    assert delivery.deliver_batch(NOW, size=5)["claimed"] == 0
    assert sorted(m.extra_headers["Message-ID"] for m in mail.outbox) == sorted(
        {m.extra_headers["Message-ID"] for m in mail.outbox})


class _SlowBackend(EmailBackend):
    """Each message takes 40 seconds of the (frozen) clock."""

    clock = None

    def send_messages(self, messages):
        _SlowBackend.clock.shift(40 * SECOND)
        return super().send_messages(messages)


def test_a_batch_hands_back_what_it_has_not_reached_at_half_its_lease(world, settings, clock):
    rows = _outbox(world, 5)
    _SlowBackend.clock = clock
    settings.EMAIL_BACKEND = f"{__name__}._SlowBackend"

    counts = delivery.deliver_batch(NOW, size=5)

    # The lease is 120 s: at 0 s and 40 s a message goes; at 80 s, past 60 s, the batch stops.
    assert delivery.LEASE.total_seconds() == 120
    assert (counts["sent"], counts["skipped"]) == (2, 3) and len(mail.outbox) == 2
    sent = Notification.objects.filter(sent_at__isnull=False)
    assert set(sent.values_list("pk", flat=True)) == {rows[0].pk, rows[1].pk}
    # What it handed back is free at once, not held until its lease ends.
    assert set(delivery.pending(timezone.now()).values_list("pk", flat=True)) == {
        row.pk for row in rows[2:]}


def test_a_withheld_notification_is_not_sent_and_the_rest_of_its_batch_is(world):
    rows = _outbox(world, 6, recipients=3)
    leaver = rows[1].recipient
    Membership.objects.filter(user=leaver).delete()

    counts = delivery.deliver_batch(NOW, size=10)

    assert (counts["sent"], counts["withheld"]) == (4, 2)
    assert {m.to[0] for m in mail.outbox} == {r.recipient.email for r in rows} - {leaver.email}
    withheld = Notification.objects.filter(recipient=leaver)
    assert set(withheld.values_list("failed", "attempts", "sent_at")) == {(True, 1, None)}


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_deliverers_claiming_batches_side_by_side_never_take_the_same_row(world):
    rows = _outbox(world, 300)
    barrier = threading.Barrier(3)
    claimed: list[list[int]] = []

    def run():
        try:
            barrier.wait()
            while True:
                ids, _lease = delivery.claim_batch(NOW, 25)
                if not ids:
                    return
                claimed.append(ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    taken = [pk for ids in claimed for pk in ids]
    assert len(taken) == len(set(taken)) == len(rows)
