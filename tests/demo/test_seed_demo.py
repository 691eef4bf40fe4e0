"""The demo data `seed_demo` loads: organisations in four states, accounts for every role, cases
along the workflow, and visits whose findings make a record."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from cases.audit import verify_chain
from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Membership,
    Organisation,
    ProceedingEvent,
    Subject,
)
from cases.models.cases import TRANSITIONS
from cases.models.sharing import TLP_CEILING, Distribution
from demo.organisations import DEMO_PASSWORD, DEMO_SLUGS, DEMO_USERNAMES
from monitoring.models import CheckReport, Finding, FollowUp, Notification
from monitoring.sweep import sweep
from reporting.cellkey import rebuild_record_keys
from reporting.record import compliance_record

from ..cases.test_commands import run, snapshot

User = get_user_model()


# --- the demo -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module and rolled back after it: each test runs in a
    savepoint of that transaction, so what one test writes the next does not see."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield run("seed_demo")
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_loaded, db) -> str:
    """What `seed_demo` printed."""
    return demo_loaded


def test_seed_demo_runs_twice_without_duplicating_anything(demo):
    first = snapshot()

    again = run("seed_demo")

    assert "already loaded" in again
    assert snapshot() == first
    assert verify_chain().ok
    assert run("verify_audit_chain").startswith(
        f"audit chain intact: {first['AuditEvent']} events"
    )


def test_seed_demo_loads_organisations_in_four_states_and_an_audit_body(demo):
    organisations = Organisation.objects.filter(slug__in=DEMO_SLUGS)
    assert {o.country_id for o in organisations} >= {"FR", "DE", "BE", "IT"}
    assert Organisation.Kind.AUDIT_BODY in {o.kind for o in organisations}
    assert organisations.filter(country="FR", kind=Organisation.Kind.MINISTRY).exists()
    assert organisations.filter(country="DE", kind=Organisation.Kind.MINISTRY).exists()


def test_seed_demo_accounts_share_one_password_and_cover_every_role(demo):
    for slug in ("ngo-fr", "ministry-de"):
        roles = set(Membership.objects.filter(organisation__slug=slug).values_list("role",
                                                                                   flat=True))
        assert roles == set(Membership.Role.values), slug
    assert Membership.objects.filter(
        organisation__kind=Organisation.Kind.AUDIT_BODY, role=Membership.Role.AUDITOR
    ).exists()
    for name in DEMO_USERNAMES:
        assert User.objects.get(username=name).check_password(DEMO_PASSWORD), name
        assert name in demo
    staff = User.objects.get(username="staff")
    assert staff.is_superuser and staff.check_password(DEMO_PASSWORD)
    assert not staff.memberships.exists()


@pytest.mark.usefixtures("exact_counts")
def test_seed_demo_reports_visits_whose_findings_make_a_record(demo):
    monitored = Case.objects.filter(status__in=("monitoring_active", "monitoring_closed"))
    assert set(CheckReport.objects.values_list("case", flat=True)) == set(
        monitored.values_list("pk", flat=True))
    outcomes = set(Finding.objects.values_list("outcome", flat=True))
    assert {"complied", "access_denied", "unverifiable", "allegation_pending"} <= outcomes
    # Each active plan waits for its next visit; the closed one waits for nothing.
    open_checks = FollowUp.objects.filter(status__in=FollowUp.OPEN, kind="cadence")
    assert set(open_checks.values_list("case__status", flat=True)) == {"monitoring_active"}
    # The French NGO's auditor counts its own case, the two Italian ones shared with everyone
    # and the two shared as aggregates only: a cell of five cases, shown whatever the record's
    # perturbation (at most two) draws.
    auditor = User.objects.get(username="ngo-fr.auditor")
    (china,) = compliance_record(auditor)
    assert (china["requesting_state"], china["cases"], china["suppressed"]) == ("CN", 5, False)
    assert china["access_refused_share"] > 0


@pytest.mark.parametrize("secret", ["one", "two", "three", "four", "five", "six"])
def test_the_demo_record_shows_its_cell_whatever_the_perturbation_key(demo, settings, secret):
    settings.CELL_KEY_SECRET = secret
    rebuild_record_keys()
    (china,) = compliance_record(User.objects.get(username="ngo-fr.auditor"))
    assert not china["suppressed"] and 3 <= china["cases"] <= 7


def test_seed_demo_leaves_a_follow_up_that_the_first_sweep_alerts_its_caseworker_to(
    demo, settings
):
    caseworker = User.objects.get(username="ngo-fr.caseworker")
    first_sweep = timezone.now() + datetime.timedelta(seconds=settings.MONITORING_SWEEP_SECONDS)
    due = list(FollowUp.objects.filter(status=FollowUp.Status.SCHEDULED, assignee=caseworker,
                                       window_opens_at__lte=first_sweep, due_at__gt=first_sweep))
    assert due

    sweep(first_sweep)

    assert Notification.objects.filter(
        recipient=caseworker, kind=Notification.Kind.DUE, follow_up__in=due).exists()


def test_seed_demo_cases_span_statuses_distributions_and_labels(demo):
    cases = Case.objects.all()
    assert cases.count() >= 12
    statuses = set(cases.values_list("status", flat=True))
    assert statuses >= {
        Case.Status.JUDICIAL_PHASE, Case.Status.ASSURANCES_ASSESSED,
        Case.Status.EXECUTIVE_DECISION, Case.Status.SURRENDERED,
        Case.Status.MONITORING_ACTIVE, Case.Status.REFUSED,
    }
    assert set(cases.values_list("distribution", flat=True)) == set(Distribution.values)
    for case in cases:
        assert case.distribution in TLP_CEILING[case.tlp], case.reference
        # Each status was reached along the workflow, on dates that never go back.
        steps = list(case.transitions.order_by("date", "recorded_at"))
        assert [t.to_status for t in steps][-1:] in ([case.status], [])
        for step in steps:
            assert step.to_status in TRANSITIONS[step.from_status]
        dates = [t.date for t in steps]
        assert dates == sorted(dates)
    assert Assurance.objects.filter(type=Assurance.Type.NO_DEATH_PENALTY).exclude(
        death_penalty_scope=""
    ).exists()
    assert max(case.assurances.count() for case in cases) >= 4
    assert cases.filter(legal_instrument__title__contains="France and China").exists()


def test_seed_demo_records_the_petruhhin_consultation_of_the_german_national(demo):
    case = Case.objects.get(
        requested_state="FR",
        interpol_notice=Case.InterpolNotice.RED,
        subject__nationalities__country="DE",
    )
    assert set(case.subject.nationalities.values_list("country", flat=True)) == {"DE", "CN"}
    assert case.status == Case.Status.JUDICIAL_PHASE
    consultation = case.proceedings.get(kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION)
    assert consultation.consulted_state_id == "DE"
    assert [t.to_status for t in case.transitions.order_by("date")] == [
        Case.Status.NATIONALITY_CONSULTATION, Case.Status.JUDICIAL_PHASE
    ]


def test_seed_demo_writes_through_the_services_as_the_caseworkers(demo):
    caseworkers = set(
        Membership.objects.filter(role=Membership.Role.CASEWORKER).values_list("user_id",
                                                                                 flat=True)
    )
    for model, object_type in ((Case, "case"), (Subject, "subject"),
                               (Assurance, "assurance"), (ProceedingEvent, "proceedingevent")):
        for obj in model.objects.all():
            assert obj.created_by_id in caseworkers
            assert AuditEvent.objects.filter(
                action=AuditEvent.Action.CREATE, object_type=object_type, object_id=str(obj.pk)
            ).exists(), obj
    assert AuditEvent.objects.filter(action=AuditEvent.Action.TRANSITION).count() == (
        CaseTransition.objects.count()
    )


def test_every_demo_account_signs_in_with_the_printed_demo_key(demo):
    from django.test import Client
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from demo.organisations import DEMO_TOTP_SECRET, demo_code

    assert DEMO_TOTP_SECRET in demo
    assert DEMO_TOTP_SECRET in (Path(__file__).parents[2] / "README.md").read_text()
    assert set(TOTPDevice.objects.values_list("user__username", flat=True)) == {
        *DEMO_USERNAMES, "staff"}
    assert Organisation.objects.filter(slug__in=DEMO_SLUGS, mfa_required=False).count() == 0
    # The next code of the app (the one that enrolled it does not sign in again).
    device = TOTPDevice.objects.get(user__username="ngo-fr.caseworker")
    totp = TOTP(device.bin_key)
    totp.time = totp.time + 30
    client = Client()
    client.post("/accounts/login/", {"username": "ngo-fr.caseworker", "password": DEMO_PASSWORD})
    response = client.post("/accounts/verify/", {"code": f"{totp.token():06d}"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/cases/").status_code == 200
    assert len(demo_code()) == 6
