"""The sweep that moves follow-ups along (DESIGN.md §5): from scheduled to due to overdue to
missed, each alert written once per follow-up and recipient however many sweeps run, escalation
after the grace period, the silence alarm, and sweeps that crash, race or resume after downtime.

The clock is frozen at NOW; the sweep is always told the moment it runs at."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from cases.models import Assurance
from cases.models.sharing import TLP
from monitoring import services
from monitoring import sweep as sweep_module
from monitoring.models import (
    Finding,
    FollowUp,
    MonitoringPlan,
    MonitoringSettings,
)
from monitoring.sweep import sweep

from ..factories import AssuranceFactory, MembershipFactory, UserFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    SECOND,
    TODAY,
    ad_hoc,
    alert_rows,
    alerts,
    first_visit,
    freeze,
    monitored_case,
    open_regular_checks,
    recipients,
    submit,
)
from .test_monitoring_schedule import (
    D0,
    ON_POSTGRESQL,
    Kind,
    Status,
    escalation,
    usernames,
    workers,
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


# --- the sweep -------------------------------------------------------------------------------


def test_a_follow_up_moves_from_scheduled_to_due_to_overdue(world):
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW + 5 * DAY, due=NOW + 7 * DAY)

    expected = [
        (NOW + 5 * DAY - SECOND, Status.SCHEDULED),
        (NOW + 5 * DAY, Status.DUE),
        (NOW + 7 * DAY - SECOND, Status.DUE),
        (NOW + 7 * DAY, Status.OVERDUE),
    ]
    for moment, status in expected:
        sweep(now=moment)
        check.refresh_from_db()
        assert check.status == status, moment


def test_each_alert_is_written_once_per_follow_up_and_recipient_however_many_sweeps(world):
    case = monitored_case(world)
    AssuranceFactory(case=case, type=Assurance.Type.MONITORING_ACCESS)
    check = ad_hoc(world, case, opens=NOW + 5 * DAY, due=NOW + 7 * DAY)
    stages = [
        # (sweeps at, kind now written, its recipients)
        ([NOW + 2 * DAY, NOW + 3 * DAY, NOW + 5 * DAY - SECOND], Kind.DUE_SOON, workers(world)),
        ([NOW + 5 * DAY, NOW + 6 * DAY, NOW + 7 * DAY - SECOND], Kind.DUE, workers(world)),
        ([NOW + 7 * DAY, NOW + 10 * DAY, NOW + 14 * DAY - SECOND], Kind.OVERDUE,
         workers(world)),
        ([NOW + 14 * DAY, NOW + 15 * DAY, NOW + 21 * DAY - SECOND], Kind.ESCALATION,
         escalation(world)),
        ([NOW + 21 * DAY, NOW + 22 * DAY, NOW + 60 * DAY], Kind.MISSED, escalation(world)),
    ]
    written = 0
    for moments, kind, people in stages:
        for moment in moments:
            for _ in range(5):
                sweep(now=moment)
            assert recipients(follow_up=check, kind=kind) == people
            assert alert_rows(follow_up=check, kind=kind) == len(people)
        written += len(people)
        assert alert_rows(follow_up=check) == written
    assert Finding.objects.filter(follow_up=check).count() == 1


def test_a_sweep_retried_after_a_crash_writes_no_alert_twice(world):
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW + DAY, due=NOW + 2 * DAY)
    moments = (NOW, NOW + DAY, NOW + 2 * DAY, check.escalate_at)
    for moment in moments:
        sweep(now=moment)
    written = alerts(follow_up=check)
    assert {kind for kind, _, _ in written} == {
        Kind.DUE_SOON, Kind.DUE, Kind.OVERDUE, Kind.ESCALATION}

    # A worker died after writing the alerts and before marking the follow-up: the retry, a
    # little later, finds the marks unset and must still write nothing new.
    FollowUp.objects.filter(pk=check.pk).update(alert_stage=0, escalated=False)
    for moment in moments:
        sweep(now=moment + HOUR)
        FollowUp.objects.filter(pk=check.pk).update(alert_stage=0, escalated=False)
    assert alerts(follow_up=check) == written
    assert alert_rows(follow_up=check) == len(written)


def test_an_assigned_follow_up_reminds_its_assignee_only(world):
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW + DAY, due=NOW + 2 * DAY, assignee=world.fr_caseworker)
    for moment in (NOW, NOW + DAY, NOW + 2 * DAY):
        sweep(now=moment)
    assert alerts(follow_up=check) == {
        (kind, check.pk, world.fr_caseworker.username)
        for kind in (Kind.DUE_SOON, Kind.DUE, Kind.OVERDUE)
    }


@pytest.mark.parametrize("first_swept, written", [
    (NOW + 2 * DAY, Kind.DUE_SOON),
    (NOW + 5 * DAY, Kind.DUE),
    (NOW + 7 * DAY, Kind.OVERDUE),
    (NOW + 13 * DAY, Kind.OVERDUE),
])
def test_only_the_latest_stage_reached_is_written(world, first_swept, written):
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW + 5 * DAY, due=NOW + 7 * DAY)

    sweep(now=first_swept)
    sweep(now=first_swept)

    assert {kind for kind, _, _ in alerts(follow_up=check)} == {written}


def test_a_stage_already_passed_is_not_written_late(world):
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW + 5 * DAY, due=NOW + 7 * DAY)
    sweep(now=NOW + 3 * DAY)
    sweep(now=NOW + 8 * DAY)
    assert {kind for kind, _, _ in alerts(follow_up=check)} == {Kind.DUE_SOON, Kind.OVERDUE}


@pytest.mark.parametrize("assigned", [False, True])
def test_escalation_reaches_admins_and_liaisons_after_the_grace_period_not_before(
    world, assigned
):
    MonitoringSettings.objects.create(organisation=world.ngo_fr, escalation_days=2)
    case = monitored_case(world)
    check = ad_hoc(world, case, opens=NOW, due=NOW + DAY,
                   assignee=world.fr_caseworker if assigned else None)
    escalate_at = NOW + DAY + 2 * DAY
    assert check.escalate_at == escalate_at

    sweep(now=escalate_at - SECOND)
    assert alert_rows(follow_up=check, kind=Kind.ESCALATION) == 0

    sweep(now=escalate_at + SECOND)
    expected = escalation(world) | (usernames(world.fr_caseworker) if assigned else set())
    assert recipients(follow_up=check, kind=Kind.ESCALATION) == expected
    assert world.fr_auditor.username not in recipients()
    check.refresh_from_db()
    assert check.status == Status.OVERDUE and check.escalated


@pytest.mark.parametrize("with_access_assurance", [True, False])
def test_a_missed_follow_up_lapses_monitoring_once_and_the_next_check_is_scheduled(
    world, with_access_assurance
):
    case = monitored_case(world)
    AssuranceFactory(case=case, type=Assurance.Type.NO_TORTURE)
    access = (
        AssuranceFactory(case=case, type=Assurance.Type.MONITORING_ACCESS)
        if with_access_assurance else None
    )
    visit = first_visit(case)
    assert visit.missed_at == visit.due_at + 14 * DAY

    sweep(now=visit.missed_at - SECOND)
    visit.refresh_from_db()
    assert visit.status == Status.OVERDUE
    assert not Finding.objects.filter(case=case).exists()
    assert open_regular_checks(case) == []

    # Before the next regular check (due 7 days after the miss) could itself be missed.
    for moment in [visit.missed_at] * 3 + [visit.missed_at + DAY, visit.missed_at + 6 * DAY]:
        sweep(now=moment)

    visit.refresh_from_db()
    assert visit.status == Status.MISSED
    (lapse,) = Finding.objects.filter(case=case)
    assert lapse.outcome == Finding.Outcome.MONITORING_LAPSED
    assert lapse.follow_up == visit and lapse.is_open
    assert lapse.assurance == access
    assert recipients(follow_up=visit, kind=Kind.MISSED) == escalation(world)
    assert alert_rows(follow_up=visit, kind=Kind.MISSED) == 2
    (regular,) = FollowUp.objects.filter(case=case, kind=FollowUp.Kind.CADENCE)
    assert regular.window_opens_at == visit.missed_at + 5 * DAY
    assert regular.due_at == visit.missed_at + 7 * DAY


def test_silence_rings_when_its_deadline_passes_once_and_again_an_interval_later(world):
    case = monitored_case(world)
    plan = MonitoringPlan.objects.get(case=case)
    silent_at = plan.silence_due_at
    assert silent_at == D0 + 48 * HOUR
    everyone = workers(world) | escalation(world)

    sweep(now=silent_at - SECOND)
    assert alert_rows(kind=Kind.SILENCE) == 0

    for moment in (silent_at, silent_at, silent_at + DAY, silent_at + 7 * DAY - SECOND):
        sweep(now=moment)
    assert recipients(kind=Kind.SILENCE, case=case) == everyone
    assert alert_rows(kind=Kind.SILENCE) == len(everyone)

    # Still no access a whole interval (7 days in initial custody) later: once more.
    for _ in range(3):
        sweep(now=silent_at + 7 * DAY)
    assert alert_rows(kind=Kind.SILENCE) == 2 * len(everyone)


def test_a_report_with_access_granted_moves_the_silence_deadline(world, clock):
    case = monitored_case(world)
    checked = D0 + DAY
    clock.move_to(checked + HOUR)
    submit(world, first_visit(case), checked_at=checked)

    plan = MonitoringPlan.objects.get(case=case)
    assert plan.last_access_at == checked
    assert plan.silence_due_at == checked + 7 * DAY
    for moment in (D0 + 2 * DAY, D0 + 5 * DAY, checked + 7 * DAY - SECOND):
        sweep(now=moment)
    assert alert_rows(kind=Kind.SILENCE) == 0

    sweep(now=checked + 7 * DAY)
    assert alert_rows(kind=Kind.SILENCE) > 0


@pytest.mark.parametrize("access", ["refused", "delayed"])
def test_a_report_without_access_granted_does_not_silence_the_alarm(world, clock, access):
    case = monitored_case(world)
    checked = D0 + DAY
    clock.move_to(checked + HOUR)
    extra = {"access_delay_hours": 30} if access == "delayed" else {}
    submit(world, first_visit(case), checked_at=checked, access=access, **extra)

    sweep(now=D0 + 48 * HOUR)
    assert recipients(kind=Kind.SILENCE) == workers(world) | escalation(world)


def test_a_red_case_alerts_only_its_named_people(world):
    named = (world.fr_caseworker, world.fr_liaison)
    case = monitored_case(world, tlp=TLP.RED, named_recipients=named)
    visit = first_visit(case)
    for moment in (D0 + HOUR, visit.due_at, visit.escalate_at, visit.missed_at):
        sweep(now=moment)

    assert {kind for kind, _, _ in alerts(case=case)} == {
        Kind.DUE, Kind.OVERDUE, Kind.ESCALATION, Kind.MISSED, Kind.SILENCE}
    assert recipients(case=case) == usernames(*named)
    assert recipients(case=case, kind=Kind.ESCALATION) == usernames(world.fr_liaison)


def test_an_assignee_who_left_the_organisation_is_replaced_by_its_caseworkers(world):
    case = monitored_case(world)
    leaver = UserFactory(username="fr_leaver")
    membership = MembershipFactory(user=leaver, organisation=world.ngo_fr)
    check = ad_hoc(world, case, opens=NOW, due=NOW + DAY, assignee=leaver)
    membership.delete()

    sweep(now=NOW + HOUR)
    assert recipients(follow_up=check) == workers(world)

    sweep(now=check.escalate_at)
    assert recipients(follow_up=check, kind=Kind.ESCALATION) == escalation(world)


def test_after_a_week_of_downtime_the_sweep_writes_exactly_what_came_due(world, clock):
    T = NOW
    case = monitored_case(world, surrender=TODAY - 3 * DAY)
    # The first visit was done yesterday, with access: the next regular check follows it.
    visit = first_visit(case)
    submit(world, visit, checked_at=T - DAY)
    (regular,) = open_regular_checks(case)
    cw, admin = world.fr_caseworker, world.fr_admin
    a = ad_hoc(world, case, opens=T + DAY, due=T + 2 * DAY)
    b = ad_hoc(world, case, opens=T - DAY, due=T + DAY, assignee=cw)
    c = ad_hoc(world, case, opens=T - 5 * DAY, due=T - DAY)
    d = ad_hoc(world, case, opens=T - 12 * DAY, due=T - 10 * DAY, assignee=admin)
    e = ad_hoc(world, case, opens=T + 5 * DAY, due=T + 6 * DAY)
    f = ad_hoc(world, case, opens=T + 20 * DAY, due=T + 25 * DAY)
    g = ad_hoc(world, case, opens=T - 3 * DAY, due=T + 3 * DAY)
    submit(world, g, checked_at=T - HOUR)
    h = ad_hoc(world, case, opens=T - DAY, due=T + DAY)
    services.follow_up_update(actor=cw, follow_up=h, version=h.version, status="cancelled")
    name = {a.pk: "A", b.pk: "B", c.pk: "C", d.pk: "D", e.pk: "E", f.pk: "F", g.pk: "G",
            h.pk: "H", regular.pk: "regular", visit.pk: "first visit", None: None}

    def written():
        return {(kind, name[fu], user) for kind, fu, user in alerts(case=case)}

    W = workers(world)
    E = escalation(world)
    at_t = (
        {("due_soon", "A", u) for u in W}
        | {("due", "B", cw.username)}
        | {("overdue", "C", u) for u in W}
        | {("overdue", "D", admin.username)}
        | {("escalation", "D", u) for u in E}
    )
    sweep(now=T)
    assert written() == at_t

    # Down for a week: the next sweep runs at T + 7 days.
    at_t7 = (
        {("overdue", "A", u) for u in W}
        | {("overdue", "B", cw.username)}
        | {("escalation", "C", u) for u in E}
        | {("missed", "D", u) for u in E}
        | {("overdue", "E", u) for u in W}
        | {("overdue", "regular", u) for u in W}
        | {("silence", None, u) for u in W | E}
    )
    sweep(now=T + 7 * DAY)
    assert written() == at_t | at_t7
    count = alert_rows()

    for moment in (T + 7 * DAY, T + 7 * DAY + HOUR):
        sweep(now=moment)
    assert alert_rows() == count

    status = dict(FollowUp.objects.filter(case=case).values_list("pk", "status"))
    assert {name[pk]: s for pk, s in status.items()} == {
        "A": Status.OVERDUE, "B": Status.OVERDUE, "C": Status.OVERDUE, "D": Status.MISSED,
        "E": Status.OVERDUE, "F": Status.SCHEDULED, "G": Status.COMPLETED,
        "H": Status.CANCELLED, "regular": Status.OVERDUE, "first visit": Status.COMPLETED,
    }
    assert Finding.objects.filter(case=case, outcome="monitoring_lapsed").count() == 1


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_sweeps_racing_write_each_alert_once(world):
    case = monitored_case(world)
    visit = first_visit(case)
    moment = visit.missed_at
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            sweep(now=moment)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert alerts(follow_up=visit) == (
        {("overdue", visit.pk, u) for u in workers(world)}
        | {(k, visit.pk, u) for k in ("escalation", "missed") for u in escalation(world)}
    )
    assert Finding.objects.filter(follow_up=visit).count() == 1
    assert len(open_regular_checks(case)) == 1
    assert alert_rows(kind=Kind.SILENCE) == len(workers(world) | escalation(world))


def test_a_lapse_reached_before_its_escalation_step_still_alerts_overdue_and_escalation(world):
    # Two sweeps side by side: one holds the visit through its overdue and escalation steps,
    # the other skips it there and reaches its missed step first. The lapse must not leave
    # the visit without the alerts that step skipped.
    case = monitored_case(world)
    visit = first_visit(case)
    moment = visit.missed_at
    sweep_module._missed(moment, sweep_module.SweepReport(now=moment))
    expected = ({("overdue", visit.pk, u) for u in workers(world)}
                | {(k, visit.pk, u) for k in ("escalation", "missed") for u in escalation(world)})
    assert alerts(follow_up=visit) == expected
    sweep(now=moment)
    assert alerts(follow_up=visit) == expected
    assert alert_rows(follow_up=visit) == len(expected)
