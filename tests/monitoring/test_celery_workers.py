"""Reminders with real Celery workers on Redis, not eager tasks: a worker killed in the middle of
a delivery loses nothing and sends nothing twice, and two workers running the sweep again and
again write and send each alert once.

The workers are separate processes, so they read the test database through their own
connections: the data is committed (`transactional_db`) and the database must be PostgreSQL.
Outcomes are awaited by polling the database and the mail log, each wait with a deadline.
"""

from __future__ import annotations

import datetime
from collections import Counter

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from cases.models import Membership
from monitoring.delivery import _message_id
from monitoring.models import Finding, FollowUp, Notification

from ..celery_support import Workers, database_url, wait_for
from ..factories import CaseFactory, MembershipFactory, OrganisationFactory, UserFactory

DAY = datetime.timedelta(days=1)
Kind = Notification.Kind

pytestmark = [
    pytest.mark.workers,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="a Celery worker runs in its own process and cannot share the in-memory SQLite "
               "test database: these tests need PostgreSQL (DATABASE_URL) and Redis (REDIS_URL)",
    ),
    # Reference data (countries) comes from migrations and a transactional test flushes it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def workers(transactional_db, tmp_path):
    pool = Workers(database_url=database_url(connection.settings_dict),
                   redis_url=settings.REDIS_URL, directory=tmp_path)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def org():
    """An organisation with a caseworker, an org admin, a liaison and an auditor."""
    organisation = OrganisationFactory(slug="ngo-workers")
    people = {}
    for role in Membership.Role:
        user = UserFactory(username=f"workers_{role.value}")
        MembershipFactory(user=user, organisation=organisation, role=role)
        people[role.value] = user
    return organisation, people


def _sent_once(workers: Workers, keys) -> None:
    expected = Counter({f"<{_message_id(key)}@{settings.NOTIFICATION_MESSAGE_ID_DOMAIN}>": 1
                        for key in keys})
    assert Counter(workers.sent()) == expected, workers.describe()


def test_a_worker_killed_mid_delivery_loses_nothing_and_sends_nothing_twice(workers, org):
    organisation, people = org
    case = CaseFactory(owner=organisation)
    keys = [f"due:worker-test-{n}:{people['caseworker'].pk}" for n in range(5)]
    for key in keys:
        Notification.objects.create(recipient=people["caseworker"], kind=Kind.DUE, case=case,
                                    dedup_key=key, subject="Follow-up due", body="Due now.")
    unsent = Notification.objects.filter(sent_at__isnull=True).exists

    # The first worker claims the five as one batch; its mail server takes 2 s a message and
    # it is killed while sending the second. (A batch stops sending at half its lease, so the
    # lease is long enough here for two messages.)
    workers.lease_seconds = 6
    first = workers.start("doomed", mail_delay=2)
    workers.send("monitoring.deliver_pending")
    wait_for(lambda: len(workers.sending()) >= 2, what="the second message in progress",
             describe=workers.describe)
    first.kill()

    assert first.process.returncode == -9
    assert (len(workers.sent()), len(workers.sending())) == (1, 2), workers.describe()
    # The first one sent is recorded as sent; the other four are still claimed by the dead
    # worker, the one it was sending among them.
    in_flight = list(Notification.objects.filter(sent_at__isnull=True, lease_until__isnull=False))
    assert len(in_flight) == 4, workers.describe()
    abandoned = in_flight[0]
    assert workers.sending()[1] not in workers.sent()

    # A second worker takes what was queued; once the abandoned lease runs out, the next
    # delivery run (beat queues one every minute) hands the abandoned message on as well.
    workers.start("successor")
    wait_for(lambda: timezone.now() > abandoned.lease_until, what="the abandoned lease to run out")
    workers.send("monitoring.deliver_pending")
    wait_for(lambda: not unsent(), what="every notification sent", describe=workers.describe)
    workers.stop_all()

    _sent_once(workers, keys)
    assert Counter(workers.sending())[workers.sending()[1]] == 2
    assert not Notification.objects.filter(sent_at__isnull=True).exists()
    assert set(Notification.objects.values_list("attempts", "failed", "last_error")) == {
        (1, False, "")
    }


def _follow_up(case, *, opens_in_days: float, due_in_days: float, assignee=None) -> FollowUp:
    """A follow-up with the default alert moments (due soon 3 days before the window,
    escalation 7 days after the due date, missed 14 days after it)."""
    now = timezone.now()
    opens, due = now + opens_in_days * DAY, now + due_in_days * DAY
    return FollowUp.objects.create(
        case=case, kind=FollowUp.Kind.AD_HOC, assignee=assignee, window_opens_at=opens,
        due_at=due, due_soon_at=opens - 3 * DAY, escalate_at=due + 7 * DAY,
        missed_at=due + 14 * DAY,
    )


def test_b_two_workers_and_repeated_sweeps_send_each_alert_once(workers, org):
    organisation, people = org
    case = CaseFactory(owner=organisation)
    caseworker, admin, liaison = people["caseworker"], people["org_admin"], people["liaison"]
    soon = _follow_up(case, opens_in_days=1, due_in_days=3)
    due = _follow_up(case, opens_in_days=-1, due_in_days=2)
    assigned = _follow_up(case, opens_in_days=-1, due_in_days=2, assignee=caseworker)
    overdue = _follow_up(case, opens_in_days=-4, due_in_days=-1)
    escalated = _follow_up(case, opens_in_days=-12, due_in_days=-9)
    missed = _follow_up(case, opens_in_days=-23, due_in_days=-20)
    # Due soon, due and overdue go to the assignee, or else to the caseworkers and org admins;
    # escalation and missed to the assignee, org admins and liaisons; nothing to the auditor.
    on_time, escalation = {caseworker, admin}, {admin, liaison}
    expected = (
        {(Kind.DUE_SOON, soon, user) for user in on_time}
        | {(Kind.DUE, due, user) for user in on_time}
        | {(Kind.DUE, assigned, caseworker)}
        | {(Kind.OVERDUE, follow_up, user) for follow_up in (overdue, escalated, missed)
           for user in on_time}
        | {(Kind.ESCALATION, follow_up, user) for follow_up in (escalated, missed)
           for user in escalation}
        | {(Kind.MISSED, missed, user) for user in escalation}
    )
    expected = Counter({(kind.value, f.pk, user.pk): 1 for kind, f, user in expected})

    def everything_sent() -> bool:
        return (Notification.objects.count() == len(expected)
                and not Notification.objects.filter(sent_at__isnull=True).exists())

    one, two = workers.start("one"), workers.start("two")
    workers.wait_ready(one, two)
    # Sweeps queued together run side by side on the two workers; each one that writes
    # queues a delivery run of its own, and so does beat.
    workers.send("monitoring.sweep", times=6)
    workers.send("monitoring.deliver_pending")
    wait_for(lambda: workers.queued() == 0 and everything_sent(),
             what="the queue drained and every alert sent", describe=workers.describe)
    workers.stop_all()

    rows = Notification.objects.values_list("kind", "follow_up_id", "recipient_id")
    assert Counter(rows) == expected
    _sent_once(workers, Notification.objects.values_list("dedup_key", flat=True))
    assert FollowUp.objects.get(pk=missed.pk).status == FollowUp.Status.MISSED
    assert Finding.objects.filter(follow_up=missed).count() == 1
    for worker in (one, two):
        assert "Task monitoring." in worker.output(), workers.describe()


def test_c_each_kind_of_job_waits_on_its_own_queue_for_a_worker_that_takes_it(workers, org):
    """A worker given only the reminders queue runs the sweep; the delivery run the sweep
    queues waits on the delivery queue, untouched, until a delivery worker starts."""
    organisation, people = org
    due = _follow_up(CaseFactory(owner=organisation), opens_in_days=-1, due_in_days=2,
                     assignee=people["caseworker"])
    reminders = workers.start("reminders", queues=["reminders"])
    workers.wait_ready(reminders)
    workers.send("monitoring.sweep")
    wait_for(lambda: workers.queued("reminders") == 0 and workers.queued("delivery") == 1,
             what="the sweep run and its delivery queued", describe=workers.describe)
    (alert,) = Notification.objects.filter(follow_up=due)
    assert alert.kind == Kind.DUE and alert.sent_at is None
    assert workers.sent() == [] and workers.queued() == 1

    delivery = workers.start("delivery", queues=["delivery"])
    wait_for(lambda: workers.queued() == 0 and workers.sent(), what="the alert sent",
             describe=workers.describe)
    workers.stop_all()
    _sent_once(workers, [alert.dedup_key])
    assert "Task monitoring.sweep" in reminders.output()
    assert "Task monitoring.sweep" not in delivery.output()
    assert "Task monitoring.deliver" in delivery.output()
