import datetime

from django.core import mail

from cases.models import Membership
from monitoring import delivery
from monitoring.models import Notification

from ..factories import CaseFactory


def test_an_alert_is_withheld_from_someone_who_lost_access_to_the_case(world):
    case = CaseFactory(owner=world.ngo_fr, surrender_date=datetime.date(2026, 1, 1))
    kept = Notification.objects.create(
        recipient=world.fr_admin, kind="overdue", case=case, dedup_key="a", subject="s", body="b"
    )
    gone = Notification.objects.create(
        recipient=world.fr_caseworker, kind="overdue", case=case, dedup_key="b",
        subject="s", body="b",
    )
    Membership.objects.filter(user=world.fr_caseworker).delete()

    counts = delivery.deliver_pending()

    assert counts["sent"] == 1 and counts["withheld"] == 1
    assert [m.to for m in mail.outbox] == [[world.fr_admin.email]]
    gone.refresh_from_db()
    kept.refresh_from_db()
    assert gone.sent_at is None and gone.failed and "no longer see" in gone.last_error
    assert kept.sent_at is not None


def _monitored_case(world):
    from cases import services as case_services

    case = CaseFactory(owner=world.ngo_fr, status="surrendered",
                       surrender_date=datetime.date(2026, 1, 1),
                       status_changed_on=datetime.date(2026, 1, 1))
    case_services.case_transition(actor=world.fr_caseworker, case=case, to="monitoring_active",
                                  on=datetime.date(2026, 1, 2))
    case.refresh_from_db()
    return case


def test_a_new_follow_up_is_due_in_the_future_and_not_on_a_closed_case(world):
    import pytest
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from monitoring import services

    case = _monitored_case(world)
    with pytest.raises(ValidationError) as past:
        services.follow_up_create(actor=world.fr_caseworker, case=case,
                                  due_at=timezone.now() - datetime.timedelta(days=1))
    assert "due_at" in past.value.message_dict
    case.status = "monitoring_closed"
    case.save()
    with pytest.raises(ValidationError) as closed:
        services.follow_up_create(actor=world.fr_caseworker, case=case,
                                  due_at=timezone.now() + datetime.timedelta(days=1))
    assert "case" in closed.value.message_dict


def test_a_rescheduled_follow_up_is_reminded_again(world):
    from django.utils import timezone

    from monitoring import services
    from monitoring.sweep import sweep

    case = _monitored_case(world)
    now = timezone.now()
    follow_up = services.follow_up_create(actor=world.fr_caseworker, case=case,
                                          due_at=now + datetime.timedelta(days=1))
    sweep(now=now + datetime.timedelta(days=2))
    overdue = Notification.objects.filter(follow_up=follow_up, kind="overdue")
    assert overdue.count() == 2  # the owner's caseworker and admin
    follow_up.refresh_from_db()
    services.follow_up_update(actor=world.fr_caseworker, follow_up=follow_up,
                              version=follow_up.version,
                              due_at=now + datetime.timedelta(days=3))
    sweep(now=now + datetime.timedelta(days=4))
    assert overdue.count() == 4
