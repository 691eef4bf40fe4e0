"""Post-surrender monitoring (issue 3, DESIGN.md §5): the plan and its follow-ups, the sweep
that moves them along and writes each alert once, and the delivery of those alerts.

The clock is frozen at NOW; the sweep is always told the moment it runs at.
"""

from __future__ import annotations

import datetime
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from cases import services as case_services
from cases.models import Assurance, Membership
from cases.models.sharing import TLP
from monitoring import cadence, delivery, services
from monitoring.models import (
    Finding,
    FollowUp,
    MonitoringPlan,
    MonitoringSettings,
    Notification,
    NotificationPreference,
)
from monitoring.sweep import sweep

from ..factories import AssuranceFactory, CaseFactory, MembershipFactory, UserFactory
from ..monitoring_helpers import (
    DAY,
    FAILING_EMAIL_BACKEND,
    HOUR,
    NOW,
    SECOND,
    TODAY,
    ad_hoc,
    alert_rows,
    alerts,
    close_monitoring,
    first_visit,
    freeze,
    monitored_case,
    open_regular_checks,
    recipients,
    start_of,
    submit,
)

Status = FollowUp.Status
Kind = Notification.Kind
D0 = start_of(TODAY)  # day 0 of a case surrendered today
# Races need a database that serves two connections at once.
ON_POSTGRESQL = pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"],
    reason="races are run on PostgreSQL",
)


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def usernames(*users) -> set[str]:
    return {u.username for u in users}


def workers(world) -> set[str]:
    """Who hears of an unassigned follow-up: the owner's caseworkers and org admins."""
    return usernames(world.fr_caseworker, world.fr_admin)


def escalation(world) -> set[str]:
    """Who hears of an escalation: the owner's org admins and liaisons."""
    return usernames(world.fr_admin, world.fr_liaison)


# --- the plan --------------------------------------------------------------------------------


@pytest.mark.parametrize("days_after_surrender", [0, 3])
def test_monitoring_starts_with_one_standard_plan_and_a_first_visit_48_hours_after_day_0(
    world, days_after_surrender
):
    surrender = TODAY - days_after_surrender * DAY
    case = monitored_case(world, surrender=surrender)

    plan = MonitoringPlan.objects.get(case=case)
    day_zero = start_of(surrender)
    assert plan.profile == cadence.Profile.STANDARD
    assert plan.cadence == cadence.preset(cadence.Profile.STANDARD)
    assert plan.day_zero == day_zero and plan.active
    assert plan.custody_phase == cadence.CustodyPhase.INITIAL_CUSTODY
    visit = FollowUp.objects.get(case=case)
    assert visit.kind == FollowUp.Kind.FIRST_VISIT and visit.plan == plan
    assert visit.status == Status.SCHEDULED
    assert visit.window_opens_at == day_zero
    assert visit.due_at == day_zero + 48 * HOUR
    assert plan.silence_due_at == visit.due_at


def test_an_organisation_with_the_intensive_profile_gets_a_first_visit_within_24_hours(world):
    MonitoringSettings.objects.create(
        organisation=world.ngo_fr, profile=cadence.Profile.INTENSIVE, escalation_days=2,
        missed_after_days=5,
    )
    case = monitored_case(world)

    plan = MonitoringPlan.objects.get(case=case)
    assert plan.profile == cadence.Profile.INTENSIVE
    assert plan.cadence == cadence.preset(cadence.Profile.INTENSIVE)
    visit = first_visit(case)
    assert visit.due_at == D0 + 24 * HOUR
    assert visit.escalate_at == visit.due_at + 2 * DAY
    assert visit.missed_at == visit.due_at + 5 * DAY


def test_an_organisation_with_a_custom_cadence_gets_its_own_first_visit_delay(world):
    custom = cadence.validate({
        "first_visit_hours": 12,
        "hearing_followup_days": 2,
        "windows": {phase: [1, 2] for phase in cadence.CustodyPhase.values},
    })
    MonitoringSettings.objects.create(
        organisation=world.ngo_fr, profile=cadence.Profile.CUSTOM, cadence=custom
    )
    case = monitored_case(world)

    plan = MonitoringPlan.objects.get(case=case)
    assert plan.profile == cadence.Profile.CUSTOM and plan.cadence == custom
    assert first_visit(case).due_at == D0 + 12 * HOUR


def test_another_organisations_settings_do_not_change_this_plan(world):
    MonitoringSettings.objects.create(organisation=world.ngo_it, profile=cadence.Profile.INTENSIVE)
    case = monitored_case(world)
    assert MonitoringPlan.objects.get(case=case).profile == cadence.Profile.STANDARD
    assert first_visit(case).due_at == D0 + 48 * HOUR


def _cadence(**overrides):
    good = {
        "first_visit_hours": 48,
        "hearing_followup_days": 7,
        "windows": {phase: [5, 7] for phase in cadence.CustodyPhase.values},
    }
    return {**good, **overrides}


def _windows(**overrides):
    return {**{phase: [5, 7] for phase in cadence.CustodyPhase.values}, **overrides}


BAD_CADENCES = {
    "not an object": ["first_visit_hours", 48],
    "unknown key": _cadence(silence_days=3),
    "no first visit delay": {k: v for k, v in _cadence().items() if k != "first_visit_hours"},
    "first visit delay as text": _cadence(first_visit_hours="48"),
    "first visit delay as a boolean": _cadence(first_visit_hours=True),
    "first visit delay of zero": _cadence(first_visit_hours=0),
    "first visit delay over 30 days": _cadence(first_visit_hours=721),
    "first visit delay as a fraction": _cadence(first_visit_hours=1.5),
    "hearing follow-up of zero days": _cadence(hearing_followup_days=0),
    "hearing follow-up over 60 days": _cadence(hearing_followup_days=61),
    "windows as a list": _cadence(windows=[[5, 7]]),
    "a phase missing": _cadence(windows={
        k: v for k, v in _windows().items() if k != "trial"}),
    "an unknown phase": _cadence(windows=_windows(on_the_moon=[5, 7])),
    "earliest after latest": _cadence(windows=_windows(trial=[7, 5])),
    "earliest of zero days": _cadence(windows=_windows(trial=[0, 5])),
    "latest over a year": _cadence(windows=_windows(trial=[5, 367])),
    "three numbers": _cadence(windows=_windows(trial=[5, 6, 7])),
    "one number": _cadence(windows=_windows(trial=[5])),
    "a window as text": _cadence(windows=_windows(trial="5-7")),
    "a window of fractions": _cadence(windows=_windows(trial=[5.5, 7])),
    "a window of booleans": _cadence(windows=_windows(trial=[True, True])),
}


@pytest.mark.parametrize("bad", BAD_CADENCES.values(), ids=BAD_CADENCES.keys())
def test_a_malformed_custom_cadence_is_a_validation_error(bad):
    with pytest.raises(ValidationError) as raised:
        cadence.validate(bad)
    assert set(raised.value.message_dict) == {"cadence"}


def test_a_well_formed_custom_cadence_is_accepted_as_plain_json():
    good = _cadence(windows=_windows(trial=[1, 366]))
    assert cadence.validate(good) == cadence.normalise(good)
    assert cadence.validate(cadence.STANDARD) == cadence.preset(cadence.Profile.STANDARD)


def test_a_case_overrides_its_cadence_and_a_bad_one_changes_nothing(world):
    plan = MonitoringPlan.objects.get(case=monitored_case(world))
    with pytest.raises(ValidationError):
        services.plan_update(
            actor=world.fr_caseworker, plan=plan, version=plan.version,
            profile=cadence.Profile.CUSTOM, cadence=_cadence(first_visit_hours=0),
        )
    plan.refresh_from_db()
    assert plan.profile == cadence.Profile.STANDARD and plan.version == 1

    custom = _cadence(windows=_windows(initial_custody=[1, 2]))
    services.plan_update(
        actor=world.fr_caseworker, plan=plan, version=plan.version,
        profile=cadence.Profile.CUSTOM, cadence=custom,
    )
    plan.refresh_from_db()
    assert plan.profile == cadence.Profile.CUSTOM
    assert plan.cadence["windows"]["initial_custody"] == [1, 2]
    assert plan.version == 2


# --- follow-ups follow the cadence -----------------------------------------------------------


def test_completing_a_check_schedules_the_next_by_the_phase_window(world, clock):
    case = monitored_case(world)
    visit = first_visit(case)
    services.follow_up_update(
        actor=world.fr_caseworker, follow_up=visit, version=visit.version,
        assignee=world.fr_caseworker,
    )
    checked = D0 + 30 * HOUR
    clock.move_to(checked + HOUR)

    submit(world, visit, checked_at=checked)

    visit.refresh_from_db()
    assert visit.status == Status.COMPLETED and visit.completed_at == checked
    (regular,) = open_regular_checks(case)
    earliest, latest = cadence.STANDARD["windows"][cadence.CustodyPhase.INITIAL_CUSTODY]
    assert regular.window_opens_at == checked + earliest * DAY
    assert regular.due_at == checked + latest * DAY
    assert regular.status == Status.SCHEDULED
    assert regular.assignee == world.fr_caseworker

    # The next one counts from this check, on the same window.
    checked_again = checked + 6 * DAY
    clock.move_to(checked_again + HOUR)
    submit(world, regular, checked_at=checked_again)
    (following,) = open_regular_checks(case)
    assert following.window_opens_at == checked_again + earliest * DAY
    assert following.due_at == checked_again + latest * DAY


def test_a_phase_change_cancels_the_open_regular_check_and_schedules_on_the_new_cadence(
    world, clock
):
    case = monitored_case(world)
    checked = D0 + 20 * HOUR
    clock.move_to(checked + HOUR)
    submit(world, first_visit(case), checked_at=checked)
    (old,) = open_regular_checks(case)

    changed = D0 + 3 * DAY
    clock.move_to(changed + HOUR)
    plan = MonitoringPlan.objects.get(case=case)
    services.phase_change(
        actor=world.fr_caseworker, plan=plan, phase=cadence.CustodyPhase.PRE_TRIAL, on=changed
    )

    old.refresh_from_db()
    assert old.status == Status.CANCELLED
    (new,) = open_regular_checks(case)
    earliest, latest = cadence.STANDARD["windows"][cadence.CustodyPhase.PRE_TRIAL]
    assert (earliest, latest) == (10, 15)
    assert new.window_opens_at == changed + earliest * DAY
    assert new.due_at == changed + latest * DAY
    plan.refresh_from_db()
    assert plan.custody_phase == cadence.CustodyPhase.PRE_TRIAL and plan.phase_since == changed

    # And the check after that follows the new phase too.
    checked_again = changed + 12 * DAY
    clock.move_to(checked_again + HOUR)
    submit(world, new, checked_at=checked_again)
    (following,) = open_regular_checks(case)
    assert following.due_at == checked_again + latest * DAY


def test_a_coming_hearing_brings_attendance_and_a_check_after_it(world):
    case = monitored_case(world)
    day = TODAY + 10 * DAY
    hearing = case_services.proceeding_create(
        actor=world.fr_caseworker, case=case, kind="hearing", date=day, authority="Court"
    )

    attendance = FollowUp.objects.get(case=case, kind=FollowUp.Kind.HEARING)
    after = FollowUp.objects.get(case=case, kind=FollowUp.Kind.AFTER_HEARING)
    assert attendance.hearing == hearing and after.hearing == hearing
    assert attendance.mode == FollowUp.Mode.TRIAL_ATTENDANCE
    assert attendance.window_opens_at == start_of(day)
    assert start_of(day) < attendance.due_at < start_of(day) + DAY
    assert after.window_opens_at == start_of(day) + DAY
    assert after.due_at == start_of(day) + (1 + 7) * DAY
    assert {attendance.status, after.status} == {Status.SCHEDULED}


@pytest.mark.parametrize("kind, days_ahead, monitored", [
    ("hearing", -1, True),  # already held
    ("decision", 10, True),  # not a hearing
    ("hearing", 10, False),  # the case is not monitored
])
def test_no_hearing_follow_ups_for_past_hearings_other_events_or_unmonitored_cases(
    world, kind, days_ahead, monitored
):
    case = monitored_case(world) if monitored else CaseFactory(owner=world.ngo_fr)
    before = FollowUp.objects.filter(case=case).count()
    case_services.proceeding_create(
        actor=world.fr_caseworker, case=case, kind=kind, date=TODAY + days_ahead * DAY
    )
    assert FollowUp.objects.filter(case=case).count() == before


def test_closing_monitoring_cancels_open_follow_ups_and_deactivates_the_plan(world, clock):
    case = monitored_case(world, surrender=TODAY - 2 * DAY)
    visit = first_visit(case)
    submit(world, visit, checked_at=NOW - HOUR)
    extra = ad_hoc(world, case, opens=NOW + DAY, due=NOW + 2 * DAY)
    case_services.proceeding_create(
        actor=world.fr_caseworker, case=case, kind="hearing", date=TODAY + 5 * DAY
    )
    assert FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN).count() == 4

    close_monitoring(case, actor=world.fr_caseworker)

    plan = MonitoringPlan.objects.get(case=case)
    assert not plan.active
    assert not FollowUp.objects.filter(case=case, status__in=FollowUp.OPEN).exists()
    extra.refresh_from_db()
    visit.refresh_from_db()
    assert extra.status == Status.CANCELLED
    assert visit.status == Status.COMPLETED
    # Nothing about a closed case rings any more: no reminder, no silence alarm.
    for days in (1, 10, 100):
        sweep(now=NOW + days * DAY)
    assert alert_rows(case=case) == 0


def test_a_late_report_on_a_missed_check_leaves_one_open_regular_check(world, clock):
    case = monitored_case(world)
    visit = first_visit(case)
    sweep(now=visit.missed_at)
    visit.refresh_from_db()
    assert visit.status == Status.MISSED
    assert len(open_regular_checks(case)) == 1

    # The visit did happen, on time; its report comes in late.
    clock.move_to(visit.missed_at + HOUR)
    submit(world, visit, checked_at=visit.due_at - HOUR)

    assert len(open_regular_checks(case)) == 1


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
