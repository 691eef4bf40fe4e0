"""Post-surrender monitoring (issue 3, DESIGN.md §5): the plan and its follow-ups, on the
cadence of the case's phase (the sweep is in test_monitoring_sweep.py, the delivery of alerts in
test_notification_delivery.py).

The clock is frozen at NOW; the sweep is always told the moment it runs at.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from cases import services as case_services
from monitoring import cadence, services
from monitoring.models import (
    FollowUp,
    MonitoringPlan,
    MonitoringSettings,
    Notification,
)
from monitoring.sweep import sweep

from ..factories import CaseFactory
from ..monitoring_helpers import (
    DAY,
    HOUR,
    NOW,
    TODAY,
    ad_hoc,
    alert_rows,
    close_monitoring,
    first_visit,
    freeze,
    monitored_case,
    open_regular_checks,
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
