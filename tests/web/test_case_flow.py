"""A case from request to monitoring in few steps: the person registered from the case form,
the next step offered after saving, the next status offered first and never a step back, a
surrender that starts monitoring in one move, and follow-ups that go to the case's caseworker."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import AuditEvent, Case, CaseTransition, Membership, Subject
from cases.models.cases import STAGE, TRANSITIONS
from cases.selectors import offered_transitions
from monitoring import services as monitoring_services
from monitoring.models import FollowUp, MonitoringSettings

from ..conftest import api_client
from ..factories import CaseFactory, SubjectFactory
from ..monitoring_helpers import first_visit, monitored_case
from .test_web_case_forms import case_data
from .test_web_cases import signed_in

S = Case.Status


# --- the person registered from the case form ------------------------------------------------


def new_person(**changes) -> dict:
    return {"subject": "", "new_subject_full_name": "Wen Shulan", "distribution": "organisation",
            "new_subject_date_of_birth": "1971-04-02",
            "new_subject_consent_to_record": "on", **changes}


def test_the_case_form_registers_the_person_with_the_case(world):
    client = signed_in(world.fr_caseworker)
    form = client.get(reverse("cases:case_create")).content.decode()
    # Whoever opens the case works it, unless they name another.
    assert f'<option value="{world.fr_caseworker.pk}" selected>' in form
    data = case_data(SubjectFactory(owner=world.ngo_fr), **new_person(),
                     caseworker=world.fr_caseworker.pk)
    response = client.post(reverse("cases:case_create"), data, follow=True)
    case = Case.objects.filter(owner=world.ngo_fr).latest("created_at")
    subject = case.subject
    assert subject.full_name == "Wen Shulan" and subject.owner == world.ngo_fr
    assert subject.date_of_birth == datetime.date(1971, 4, 2)
    assert subject.consent_to_record and not subject.consent_to_share
    assert case.caseworker == world.fr_caseworker
    page = response.content.decode()
    # Saved: it says so, and offers the next step.
    assert f"Case {case.reference} is recorded" in page
    assert reverse("cases:assurance_create", kwargs={"pk": case.pk}) in page
    assert "Add the first assurance" in page
    assert AuditEvent.objects.filter(action="create", object_id=str(subject.pk)).exists()


def test_a_refused_case_registers_nobody_and_keeps_what_was_typed(world):
    client = signed_in(world.fr_caseworker)
    data = case_data(SubjectFactory(owner=world.ngo_fr), **new_person(), requested_state="CN")
    before = Subject.objects.count()
    response = client.post(reverse("cases:case_create"), data)
    assert response.status_code == 400
    assert Subject.objects.count() == before
    page = response.content.decode()
    assert 'value="Wen Shulan"' in page
    assert "The requesting and requested states must differ." in page


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"subject": "", "new_subject_full_name": ""}, "subject",
     "Name a registered subject, or give the full name of a new person below."),
    ({"new_subject_full_name": "Wen Shulan"}, "new_subject_full_name",
     "Name a registered subject or a new person, not both."),
])
def test_the_form_asks_for_exactly_one_person(world, changes, field, message):
    client = signed_in(world.fr_caseworker)
    before = (Subject.objects.count(), Case.objects.count())
    data = case_data(SubjectFactory(owner=world.ngo_fr), distribution="organisation",
                     **changes)
    response = client.post(reverse("cases:case_create"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors[field] == [message]
    assert (Subject.objects.count() - 1, Case.objects.count()) == before


# --- the next status first, never a step back ------------------------------------------------


@pytest.mark.parametrize("status", [s for s in S.values if TRANSITIONS[s]])
def test_the_first_status_offered_is_never_a_step_back(world, status):
    case = CaseFactory(owner=world.ngo_fr, status=status,
                       surrender_date=timezone.localdate() - datetime.timedelta(days=1))
    offered = offered_transitions(case)
    assert sorted(offered["forward"] + offered["endings"] + offered["back"]) == sorted(
        TRANSITIONS[status])
    first = (offered["forward"] + offered["endings"])[0]
    assert STAGE[first] >= STAGE[status]
    assert all(STAGE[s] < STAGE[status] for s in offered["back"])


@pytest.mark.parametrize(("status", "first"), [
    (S.REQUEST_RECEIVED, S.JUDICIAL_PHASE),
    (S.PROVISIONAL_ARREST, S.JUDICIAL_PHASE),
    (S.JUDICIAL_PHASE, S.ASSURANCES_REQUESTED),
    (S.ASSURANCES_ASSESSED, S.EXECUTIVE_DECISION),
    (S.EXECUTIVE_DECISION, S.SURRENDERED),
])
def test_the_status_form_offers_the_next_logical_status_first(world, status, first):
    case = CaseFactory(owner=world.ngo_fr, status=status)
    page = signed_in(world.fr_caseworker).get(
        reverse("cases:case_transition", kwargs={"pk": case.pk})).content.decode()
    select = re.search(r'<select name="to".*?</select>', page, re.S).group(0)
    values = re.findall(r'<option value="([a-z_]+)"', select)
    assert values[0] == first
    # Steps back stand apart, after everything that goes on.
    if "<optgroup" in select:
        back = re.findall(r'<option value="([a-z_]+)"',
                          select[select.index("<optgroup"):])
        assert back and all(STAGE[v] < STAGE[status] for v in back)


def test_a_case_page_moves_on_with_one_click(world):
    case = CaseFactory(owner=world.ngo_fr, status=S.REQUEST_RECEIVED)
    client = signed_in(world.fr_caseworker)
    page = client.get(reverse("cases:case_detail", kwargs={"pk": case.pk})).content.decode()
    assert "Move on today to “Judicial phase”" in page
    response = client.post(reverse("cases:case_transition", kwargs={"pk": case.pk}),
                           {"to": S.JUDICIAL_PHASE, "version": case.version})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.JUDICIAL_PHASE


def test_a_surrender_starts_monitoring_in_one_step(world):
    case = CaseFactory(owner=world.ngo_fr, status=S.EXECUTIVE_DECISION,
                       caseworker=world.fr_caseworker)
    client = signed_in(world.fr_caseworker)
    page = client.get(reverse("cases:case_detail", kwargs={"pk": case.pk})).content.decode()
    assert "Record the surrender today and start monitoring" in page
    response = client.post(reverse("cases:case_transition", kwargs={"pk": case.pk}), {
        "to": S.SURRENDERED, "version": case.version, "start_monitoring": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.MONITORING_ACTIVE
    assert case.surrender_date == timezone.localdate()
    assert list(CaseTransition.objects.filter(case=case).order_by("recorded_at")
                .values_list("to_status", flat=True)) == [S.SURRENDERED, S.MONITORING_ACTIVE]
    # The first visit is scheduled, and it is the caseworker's.
    assert first_visit(case).assignee == world.fr_caseworker


def test_the_box_means_nothing_beside_another_move(world):
    case = CaseFactory(owner=world.ngo_fr, status=S.EXECUTIVE_DECISION)
    response = signed_in(world.fr_caseworker).post(
        reverse("cases:case_transition", kwargs={"pk": case.pk}),
        {"to": S.REFUSED, "version": case.version, "start_monitoring": "on"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == S.REFUSED


def test_the_api_starts_monitoring_only_with_a_surrender(world):
    case = CaseFactory(owner=world.ngo_fr, status=S.EXECUTIVE_DECISION)
    client = api_client(world.fr_caseworker)
    url = f"/api/v1/cases/{case.pk}/transition/"
    response = client.post(url, {"to": "refused", "start_monitoring": True}, format="json")
    assert response.status_code == 400
    assert "start_monitoring" in response.json()
    case.refresh_from_db()
    assert case.status == S.EXECUTIVE_DECISION
    response = client.post(url, {"to": "surrendered", "start_monitoring": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "monitoring_active"


# --- follow-ups assigned when they are scheduled ---------------------------------------------


def test_follow_ups_go_to_the_caseworker_then_to_the_organisations_rule(world):
    case = monitored_case(world, caseworker=world.fr_caseworker)
    assert first_visit(case).assignee == world.fr_caseworker
    # A caseworker who left: the organisation's rule names who takes the case's checks.
    Membership.objects.filter(user=world.fr_caseworker, organisation=world.ngo_fr).delete()
    MonitoringSettings.objects.create(organisation=world.ngo_fr,
                                      default_assignee=world.fr_admin)
    other = monitored_case(world, actor=world.fr_admin, caseworker=world.fr_caseworker)
    assert first_visit(other).assignee == world.fr_admin
    due = timezone.now() + datetime.timedelta(days=5)
    ad_hoc = monitoring_services.follow_up_create(actor=world.fr_admin, case=other, due_at=due)
    assert ad_hoc.assignee == world.fr_admin


def test_the_case_api_names_the_caseworker_to_the_owner_only(world):
    case = CaseFactory(owner=world.ngo_fr, caseworker=world.fr_caseworker,
                       distribution="sharing_group", sharing_group=world.fr_de_group)
    own = api_client(world.fr_caseworker).get(f"/api/v1/cases/{case.pk}/").json()
    assert own["caseworker"] == world.fr_caseworker.username
    theirs = api_client(world.de_caseworker).get(f"/api/v1/cases/{case.pk}/").json()
    assert "caseworker" not in theirs
    bad = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"caseworker": world.de_caseworker.username,
                                      "version": case.version}, format="json")
    assert bad.status_code == 400 and "caseworker" in bad.json()


def test_the_follow_up_list_shows_open_ones_before_completed_ones(world):
    case = monitored_case(world)
    visit = first_visit(case)
    FollowUp.objects.filter(pk=visit.pk).update(status=FollowUp.Status.COMPLETED)
    later = monitoring_services.follow_up_create(
        actor=world.fr_caseworker, case=case,
        due_at=timezone.now() + datetime.timedelta(days=30))
    page = signed_in(world.fr_caseworker).get(reverse("monitoring:follow_up_list"))
    rows = [f.pk for f in page.context["rows"]]
    assert rows.index(later.pk) < rows.index(visit.pk)
