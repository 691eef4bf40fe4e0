"""Case status moves along the workflow of DESIGN.md §3 through
POST /api/v1/cases/{id}/transition/, each step recorded with date, actor and note; the Petruhhin
duty holds a case back until each EU/EEA state of nationality was informed."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from cases import services
from cases.models import (
    AuditEvent,
    Case,
    CaseTransition,
    ProceedingEvent,
    SubjectNationality,
)
from cases.models.cases import TRANSITIONS, CaseStatus
from cases.models.sharing import TLP, Distribution
from cases.signals import case_transitioned

from ..conftest import api_client
from ..factories import CaseFactory, ProceedingFactory, SubjectFactory, country

S = CaseStatus
UNKNOWN_STATES = ["teleported", ""]
AFTER_SURRENDER = (S.SURRENDERED, S.MONITORING_ACTIVE, S.MONITORING_CLOSED)


def today() -> datetime.date:
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def make_case(world, status=S.REQUEST_RECEIVED, nationalities=("CN",), **fields) -> Case:
    subject = SubjectFactory(owner=world.ngo_fr, nationalities=list(nationalities))
    if status in AFTER_SURRENDER:
        # A case past surrender has its day 0.
        fields.setdefault("surrender_date", days_ago(60))
    return CaseFactory(owner=world.ngo_fr, subject=subject, status=status, **fields)


def shared_case(world, **fields) -> Case:
    return make_case(
        world,
        distribution=Distribution.SHARING_GROUP,
        sharing_group=world.fr_de_group,
        tlp=TLP.AMBER,
        **fields,
    )


def transition(user, case, **body):
    return api_client(user).post(f"/api/v1/cases/{case.pk}/transition/", body, format="json")


def body_for(to: str) -> dict:
    body = {"to": to, "date": days_ago(3).isoformat(), "note": f"moved to {to}"}
    if to == S.MONITORING_CLOSED:
        body["closure_reason"] = Case.ClosureReason.RELEASED
    return body


ALLOWED = [(frm, to) for frm, targets in TRANSITIONS.items() for to in targets]
DISALLOWED = [
    (frm, to)
    for frm in S.values
    for to in [*S.values, *UNKNOWN_STATES]
    if to not in TRANSITIONS[frm]
]


def test_the_table_covers_every_status():
    assert set(TRANSITIONS) == set(S.values)
    assert all(set(targets) <= set(S.values) for targets in TRANSITIONS.values())


# --- allowed and refused moves ------------------------------------------------------------


@pytest.mark.parametrize(("frm", "to"), ALLOWED, ids=[f"{f}->{t}" for f, t in ALLOWED])
def test_every_allowed_transition_is_recorded_with_date_actor_and_note(world, frm, to):
    case = make_case(world, status=frm)
    body = body_for(to)

    response = transition(world.fr_caseworker, case, **body)

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == to
    assert response.json()["status_changed_on"] == body["date"]
    case.refresh_from_db()
    assert case.status == to
    assert case.status_changed_on == days_ago(3)
    assert case.version == 2
    recorded = CaseTransition.objects.get(case=case)
    assert (recorded.from_status, recorded.to_status) == (frm, to)
    assert recorded.date == days_ago(3)
    assert recorded.actor == world.fr_caseworker
    assert recorded.note == body["note"]

    timeline = api_client(world.fr_caseworker).get(f"/api/v1/cases/{case.pk}/timeline/")
    assert timeline.status_code == 200
    statuses = [e for e in timeline.json() if e["kind"] == "status"]
    assert statuses == [
        {
            "date": body["date"],
            "kind": "status",
            "id": str(recorded.pk),
            "summary": f"{frm} → {to}",
            "detail": {"from": frm, "to": to, "note": body["note"], "actor": "fr_caseworker"},
        }
    ]


@pytest.mark.parametrize(("frm", "to"), DISALLOWED, ids=[f"{f}->{t or 'empty'}"
                                                         for f, t in DISALLOWED])
def test_every_disallowed_transition_is_refused_naming_the_allowed_targets(world, frm, to):
    case = make_case(world, status=frm)
    body = {"to": to, "date": days_ago(3).isoformat()}
    if to == S.MONITORING_CLOSED:
        body["closure_reason"] = Case.ClosureReason.RELEASED

    response = transition(world.fr_caseworker, case, **body)

    assert response.status_code == 400
    if to == "":
        # A blank target is refused by the input check before the workflow is consulted.
        assert "to" in response.json()
    else:
        message = " ".join(response.json()["to"])
        if TRANSITIONS[frm]:
            for target in TRANSITIONS[frm]:
                assert target in message
        else:
            assert "final" in message
    case.refresh_from_db()
    assert case.status == frm
    assert case.version == 1
    assert not CaseTransition.objects.filter(case=case).exists()


def test_a_case_walks_the_whole_workflow_and_the_timeline_keeps_every_step(world):
    case = make_case(world)
    path = [S.PROVISIONAL_ARREST, S.JUDICIAL_PHASE, S.ASSURANCES_REQUESTED,
            S.ASSURANCES_ASSESSED, S.EXECUTIVE_DECISION, S.SURRENDERED, S.MONITORING_ACTIVE,
            S.MONITORING_CLOSED]
    for step, to in enumerate(path):
        body = {"to": to, "date": days_ago(len(path) - step).isoformat(), "note": f"step {step}"}
        if to == S.MONITORING_CLOSED:
            body["closure_reason"] = Case.ClosureReason.SENTENCE_SERVED
        response = transition(world.fr_liaison, case, **body)
        assert response.status_code == 200, (to, response.json())

    timeline = api_client(world.fr_caseworker).get(f"/api/v1/cases/{case.pk}/timeline/").json()
    steps = [(e["detail"]["from"], e["detail"]["to"]) for e in timeline if e["kind"] == "status"]
    assert steps == list(zip([S.REQUEST_RECEIVED, *path[:-1]], path, strict=True))
    case.refresh_from_db()
    assert case.closure_reason == Case.ClosureReason.SENTENCE_SERVED
    assert case.surrender_date == days_ago(3)


def test_allowed_transitions_are_listed_only_to_roles_that_may_move_the_case(world):
    case = shared_case(world, status=S.JUDICIAL_PHASE)
    for user, expected in [
        (world.fr_caseworker, list(TRANSITIONS[S.JUDICIAL_PHASE])),
        (world.fr_auditor, []),
        (world.de_liaison, []),
    ]:
        response = api_client(user).get(f"/api/v1/cases/{case.pk}/")
        assert response.json()["allowed_transitions"] == expected, user.username


def test_the_partner_sees_the_step_but_not_the_note_or_the_actor(world):
    case = shared_case(world)
    assert transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE)).status_code == 200

    entries = api_client(world.de_caseworker).get(f"/api/v1/cases/{case.pk}/timeline/").json()

    [status] = [e for e in entries if e["kind"] == "status"]
    assert status["detail"] == {"from": S.REQUEST_RECEIVED, "to": S.JUDICIAL_PHASE}


# --- dates ---------------------------------------------------------------------------------


def test_a_transition_dated_before_the_previous_one_is_refused(world):
    case = make_case(world)
    first = transition(world.fr_caseworker, case, to=S.PROVISIONAL_ARREST,
                       date=days_ago(5).isoformat())
    assert first.status_code == 200

    response = transition(world.fr_caseworker, case, to=S.JUDICIAL_PHASE,
                          date=days_ago(6).isoformat())

    assert response.status_code == 400
    assert days_ago(5).isoformat() in " ".join(response.json()["date"])
    case.refresh_from_db()
    assert case.status == S.PROVISIONAL_ARREST
    assert CaseTransition.objects.filter(case=case).count() == 1
    # The same day as the previous step is fine.
    same_day = transition(world.fr_caseworker, case, to=S.JUDICIAL_PHASE,
                          date=days_ago(5).isoformat())
    assert same_day.status_code == 200


def test_a_transition_dated_in_the_future_is_refused(world):
    case = make_case(world)
    tomorrow = today() + datetime.timedelta(days=1)

    response = transition(world.fr_caseworker, case, to=S.JUDICIAL_PHASE,
                          date=tomorrow.isoformat())

    assert response.status_code == 400
    assert "date" in response.json()
    case.refresh_from_db()
    assert case.status == S.REQUEST_RECEIVED
    assert not CaseTransition.objects.filter(case=case).exists()


def test_a_transition_without_a_date_happens_today(world):
    case = make_case(world)

    response = transition(world.fr_caseworker, case, to=S.JUDICIAL_PHASE)

    assert response.status_code == 200
    assert CaseTransition.objects.get(case=case).date == today()


# --- closing and surrender -----------------------------------------------------------------


@pytest.mark.parametrize("reason", [None, "", "escaped"])
def test_closing_monitoring_needs_a_known_closure_reason(world, reason):
    case = make_case(world, status=S.MONITORING_ACTIVE)
    body = {"to": S.MONITORING_CLOSED, "date": days_ago(1).isoformat()}
    if reason is not None:
        body["closure_reason"] = reason

    response = transition(world.fr_caseworker, case, **body)

    assert response.status_code == 400
    assert "closure_reason" in response.json()
    case.refresh_from_db()
    assert case.status == S.MONITORING_ACTIVE
    assert case.closure_reason == ""


@pytest.mark.parametrize("reason", Case.ClosureReason.values)
def test_monitoring_closes_with_each_closure_reason(world, reason):
    case = make_case(world, status=S.MONITORING_ACTIVE)

    response = transition(world.fr_caseworker, case, to=S.MONITORING_CLOSED,
                          date=days_ago(1).isoformat(), closure_reason=reason)

    assert response.status_code == 200
    assert response.json()["closure_reason"] == reason
    case.refresh_from_db()
    assert (case.status, case.closure_reason) == (S.MONITORING_CLOSED, reason)


def test_a_closure_reason_goes_only_with_closing(world):
    case = make_case(world)

    response = transition(world.fr_caseworker, case, to=S.JUDICIAL_PHASE,
                          closure_reason=Case.ClosureReason.DIED)

    assert response.status_code == 400
    assert "closure_reason" in response.json()


def test_surrender_sets_the_surrender_date_when_empty(world):
    case = make_case(world, status=S.EXECUTIVE_DECISION)
    assert case.surrender_date is None

    response = transition(world.fr_caseworker, case, to=S.SURRENDERED,
                          date=days_ago(2).isoformat())

    assert response.status_code == 200
    assert response.json()["surrender_date"] == days_ago(2).isoformat()
    case.refresh_from_db()
    assert case.surrender_date == days_ago(2)


@pytest.mark.parametrize("field", ["request_date", "decision_date"])
def test_surrender_cannot_be_dated_before_the_request_or_the_decision(world, field):
    case = make_case(world, status=S.EXECUTIVE_DECISION, **{field: days_ago(10)})

    response = transition(world.fr_caseworker, case, to=S.SURRENDERED,
                          date=days_ago(20).isoformat())

    assert response.status_code == 400
    assert days_ago(10).isoformat() in " ".join(response.json()["date"])
    case.refresh_from_db()
    assert (case.status, case.surrender_date) == (S.EXECUTIVE_DECISION, None)
    # Otherwise every later edit of the case would fail on a surrender date nobody touched.
    assert transition(world.fr_caseworker, case, to=S.SURRENDERED,
                      date=days_ago(10).isoformat()).status_code == 200
    edited = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"legal_basis_note": "Decree of extradition",
                                      "version": 2}, format="json",
    )
    assert edited.status_code == 200, edited.json()


def test_surrender_keeps_a_surrender_date_already_recorded(world):
    case = make_case(world, status=S.EXECUTIVE_DECISION, surrender_date=days_ago(9))

    response = transition(world.fr_caseworker, case, to=S.SURRENDERED,
                          date=days_ago(2).isoformat())

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.surrender_date == days_ago(9)


# --- who may move a case --------------------------------------------------------------------

WHO = [
    ("fr_caseworker", 200),
    ("fr_liaison", 200),
    ("fr_admin", 200),
    ("fr_auditor", 403),
    ("de_caseworker", 403),
    ("de_liaison", 403),
    ("de_auditor", 403),
    ("de_admin", 403),
    ("it_caseworker", 404),
    ("it_liaison", 404),
    ("it_auditor", 404),
    ("it_admin", 404),
]


@pytest.mark.parametrize(("who", "status"), WHO)
def test_who_may_move_a_shared_case(world, who, status):
    case = shared_case(world)
    user = getattr(world, who)
    # Partners see the case they cannot move; outsiders do not see it at all.
    assert api_client(user).get(f"/api/v1/cases/{case.pk}/").status_code == (
        404 if status == 404 else 200
    )

    response = transition(user, case, **body_for(S.JUDICIAL_PHASE))

    assert response.status_code == status
    case.refresh_from_db()
    expected = S.JUDICIAL_PHASE if status == 200 else S.REQUEST_RECEIVED
    assert case.status == expected
    assert CaseTransition.objects.filter(case=case).count() == (1 if status == 200 else 0)


def test_anonymous_callers_cannot_move_a_case(world):
    case = make_case(world)
    response = api_client().post(f"/api/v1/cases/{case.pk}/transition/",
                                 {"to": S.JUDICIAL_PHASE}, format="json")
    assert response.status_code == 401


# --- the signal -----------------------------------------------------------------------------


@pytest.fixture
def transitions_signalled():
    """What listeners of `case_transitioned` see when they are called."""
    received = []

    def receiver(sender, case, transition, actor, **kwargs):
        stored = Case.objects.get(pk=case.pk)
        received.append((case.pk, transition.to_status, actor, stored.status,
                         CaseTransition.objects.filter(pk=transition.pk).exists()))

    case_transitioned.connect(receiver, weak=False)
    yield received
    case_transitioned.disconnect(receiver)


def test_the_transition_signal_fires_once_with_the_move_already_written(
    world, transitions_signalled
):
    case = make_case(world)

    response = transition(world.fr_liaison, case, **body_for(S.JUDICIAL_PHASE))

    assert response.status_code == 200
    assert transitions_signalled == [
        (case.pk, S.JUDICIAL_PHASE, world.fr_liaison, S.JUDICIAL_PHASE, True)
    ]


def test_a_refused_transition_sends_no_signal(world, transitions_signalled):
    case = make_case(world)

    response = transition(world.fr_liaison, case, **body_for(S.SURRENDERED))

    assert response.status_code == 400
    assert transitions_signalled == []


def test_a_failing_listener_undoes_the_whole_move(world):
    """The signal is sent inside the transition's transaction (cases/signals.py): what a
    listener writes commits with the move, and a listener's failure leaves no half-move."""
    case = make_case(world)

    def broken_listener(sender, **kwargs):
        raise RuntimeError("listener failed")

    case_transitioned.connect(broken_listener, weak=False)
    try:
        with pytest.raises(RuntimeError):
            services.case_transition(actor=world.fr_liaison, case=case, to=S.JUDICIAL_PHASE)
    finally:
        case_transitioned.disconnect(broken_listener)

    case.refresh_from_db()
    assert (case.status, case.version, case.status_changed_on) == (S.REQUEST_RECEIVED, 1, None)
    assert not CaseTransition.objects.filter(case=case).exists()
    assert not AuditEvent.objects.filter(object_id=str(case.pk)).exists()


# --- the Petruhhin duty ----------------------------------------------------------------------


def consultation(user, case):
    return api_client(user).get(f"/api/v1/cases/{case.pk}/").json()["nationality_consultation"]


# (nationalities, nationalities lost, requested state, states to inform)
PETRUHHIN = [
    pytest.param(["CN", "DE"], [], "FR", ["DE"], id="german-national-in-france"),
    pytest.param(["CN"], [], "FR", [], id="chinese-only"),
    pytest.param(["CN"], ["DE"], "FR", [], id="german-nationality-lost"),
    pytest.param(["CN", "DE"], [], "CH", [], id="requested-state-outside-eu-eea"),
    pytest.param(["CN", "FR"], [], "FR", [], id="national-of-the-requested-state"),
    pytest.param(["CN", "NO"], [], "FR", ["NO"], id="eea-national"),
    pytest.param(["CN", "DE"], [], "NO", ["DE"], id="eea-requested-state"),
    pytest.param(["CN", "DE", "IT"], [], "FR", ["DE", "IT"], id="two-eu-nationalities"),
]


def petruhhin_case(world, nationalities, lost, requested, **fields) -> Case:
    case = make_case(world, nationalities=nationalities, requested_state=country(requested),
                     **fields)
    for code in lost:
        SubjectNationality.objects.create(
            subject=case.subject, country=country(code),
            acquired_on=datetime.date(1990, 1, 1), lost_on=datetime.date(2010, 1, 1),
        )
    return case


@pytest.mark.parametrize(("nationalities", "lost", "requested", "states"), PETRUHHIN)
def test_which_subjects_need_a_nationality_consultation(
    world, nationalities, lost, requested, states
):
    case = petruhhin_case(world, nationalities, lost, requested)

    shown = consultation(world.fr_caseworker, case)

    assert shown == {"required": bool(states), "states": states, "recorded": [],
                     "missing": states}
    response = transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE))
    if states:
        assert response.status_code == 400
        message = " ".join(response.json()["to"])
        assert all(state in message for state in states)
    else:
        assert response.status_code == 200


def test_a_german_national_moves_on_once_germany_was_informed(world):
    case = petruhhin_case(world, ["CN", "DE"], [], "FR")

    refused = transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE))
    assert refused.status_code == 400
    assert "DE" in " ".join(refused.json()["to"])
    case.refresh_from_db()
    assert case.status == S.REQUEST_RECEIVED

    # The consultation step itself is open, and does not discharge the duty.
    step = transition(world.fr_caseworker, case, to=S.NATIONALITY_CONSULTATION,
                      date=days_ago(4).isoformat())
    assert step.status_code == 200
    assert transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE)).status_code == 400

    recorded = api_client(world.fr_liaison).post(
        "/api/v1/proceedings/",
        {"case": str(case.pk), "kind": ProceedingEvent.Kind.NATIONALITY_CONSULTATION,
         "date": days_ago(4).isoformat(), "consulted_state": "DE",
         "authority": "Ministère de la Justice"},
        format="json",
    )
    assert recorded.status_code == 201, recorded.json()
    assert (recorded.json()["case"], recorded.json()["consulted_state"]) == (str(case.pk), "DE")
    assert consultation(world.fr_caseworker, case) == {
        "required": True, "states": ["DE"], "recorded": ["DE"], "missing": [],
    }

    moved = transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE))
    assert moved.status_code == 200
    case.refresh_from_db()
    assert case.status == S.JUDICIAL_PHASE


def test_informing_another_state_does_not_discharge_the_duty(world):
    case = petruhhin_case(world, ["CN", "DE"], [], "FR")
    ProceedingFactory(case=case, kind=ProceedingEvent.Kind.NATIONALITY_CONSULTATION,
                      consulted_state=country("IT"), date=days_ago(5))
    ProceedingFactory(case=case, kind=ProceedingEvent.Kind.HEARING, date=days_ago(5))

    response = transition(world.fr_caseworker, case, **body_for(S.JUDICIAL_PHASE))

    assert response.status_code == 400
    assert consultation(world.fr_caseworker, case)["missing"] == ["DE"]


LATER = [
    (S.JUDICIAL_PHASE, S.ASSURANCES_REQUESTED),
    (S.JUDICIAL_PHASE, S.EXECUTIVE_DECISION),
    (S.ASSURANCES_REQUESTED, S.ASSURANCES_ASSESSED),
    (S.ASSURANCES_ASSESSED, S.EXECUTIVE_DECISION),
    (S.EXECUTIVE_DECISION, S.SURRENDERED),
]


@pytest.mark.parametrize(("frm", "to"), LATER, ids=[f"{f}->{t}" for f, t in LATER])
def test_no_later_status_without_the_consultation(world, frm, to):
    # E.g. a nationality learnt of after the judicial phase began.
    case = petruhhin_case(world, ["CN", "DE"], [], "FR", status=frm)

    response = transition(world.fr_caseworker, case, **body_for(to))

    assert response.status_code == 400
    assert "DE" in " ".join(response.json()["to"])
    case.refresh_from_db()
    assert case.status == frm


ENDINGS = [(frm, to) for frm in (S.REQUEST_RECEIVED, S.NATIONALITY_CONSULTATION,
                                 S.JUDICIAL_PHASE, S.EXECUTIVE_DECISION)
           for to in (S.REFUSED, S.WITHDRAWN)]


@pytest.mark.parametrize(("frm", "to"), ENDINGS, ids=[f"{f}->{t}" for f, t in ENDINGS])
def test_refusal_and_withdrawal_need_no_consultation(world, frm, to):
    case = petruhhin_case(world, ["CN", "DE"], [], "FR", status=frm)

    response = transition(world.fr_caseworker, case, **body_for(to))

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == to


def test_a_late_recorded_nationality_never_blocks_monitoring_a_surrendered_person(world):
    case = make_case(world, status=S.SURRENDERED, nationalities=("CN", "DE"),
                     status_changed_on=days_ago(30))
    started = transition(world.fr_caseworker, case, to=S.MONITORING_ACTIVE, date=str(days_ago(20)))
    assert started.status_code == 200, started.content
    closed = transition(world.fr_caseworker, case, to=S.MONITORING_CLOSED,
                        date=str(days_ago(1)), closure_reason="released")
    assert closed.status_code == 200, closed.content
