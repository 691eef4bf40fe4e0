"""Sharing a case or a finding beyond its organisation when its subject withheld consent to share:
with a reason kept in the audit event, or never, as the organisation's admins decide (through
the API, the web forms and the organisation's settings page)."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from cases.models import Assurance, AuditEvent, Case, Organisation
from cases.models.sharing import TLP, Distribution
from cases.services.organisations import organisation_share_without_consent_set
from monitoring.models import Finding

from ..conftest import api_client
from ..factories import AssuranceFactory, CaseFactory, SubjectFactory
from ..monitoring_helpers import DAY, HOUR, NOW, TODAY, first_visit, freeze, monitored_case, submit
from ..web.test_web_case_forms import edit_data
from ..web.test_web_monitoring import signed_in

# The organisation's settings page, whose access the rule's test covers.
PAGES = {"cases:organisation_settings"}
REASON = "Risk of reprisal outweighs: the partner must know the breach now."
Rule = Organisation.ShareWithoutConsent


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def kept_case(world, *, consent=False) -> Case:
    return CaseFactory(owner=world.ngo_fr, tlp=TLP.GREEN,
                       subject=SubjectFactory(owner=world.ngo_fr, consent_to_share=consent))


def patch(world, case, **body):
    return api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {"version": case.version, **body}, format="json")


def refuse(world):
    organisation_share_without_consent_set(actor=world.fr_admin, organisation=world.ngo_fr,
                                           rule=Rule.REFUSE)


def shares_of(obj) -> list[dict]:
    return list(AuditEvent.objects.filter(action="share", object_id=str(obj.pk))
                .values_list("detail", flat=True))


# --- cases -----------------------------------------------------------------------------------


def test_a_case_shared_from_its_opening_without_consent_needs_a_reason(world):
    subject = SubjectFactory(owner=world.ngo_fr, consent_to_share=False)
    client = api_client(world.fr_caseworker)
    body = {"subject": str(subject.pk), "requesting_state": "CN", "requested_state": "FR",
            "channel": "extradition", "distribution": "network", "tlp": "green"}
    response = client.post("/api/v1/cases/", body, format="json")
    assert response.status_code == 400
    assert "consent_override_reason" in response.json()
    assert not Case.objects.filter(subject=subject).exists()
    response = client.post("/api/v1/cases/", {**body, "consent_override_reason": REASON},
                           format="json")
    assert response.status_code == 201
    assert shares_of(Case.objects.get(subject=subject))[0]["consent_override_reason"] == REASON
    # Kept with its organisation, it needs no reason.
    other = SubjectFactory(owner=world.ngo_fr, consent_to_share=False)
    kept = client.post("/api/v1/cases/", {**body, "subject": str(other.pk),
                                          "distribution": "organisation"}, format="json")
    assert kept.status_code == 201


def test_sharing_a_case_without_consent_needs_a_reason_kept_in_the_audit_event(world):
    case = kept_case(world)
    response = patch(world, case, distribution="network")
    assert response.status_code == 400
    assert "consent" in response.json()["consent_override_reason"][0]
    assert Case.objects.get(pk=case.pk).distribution == "organisation"
    assert shares_of(case) == []
    response = patch(world, case, distribution="network", consent_override_reason=REASON)
    assert response.status_code == 200, response.content
    assert "consent_override_reason" not in response.json()
    (detail,) = shares_of(case)
    assert detail["consent_override_reason"] == REASON and detail["to"]["distribution"] == (
        "network")


def test_an_organisation_that_never_shares_without_consent_refuses_even_with_a_reason(world):
    refuse(world)
    case = kept_case(world)
    response = patch(world, case, distribution="sharing_group",
                     sharing_group=world.fr_de_group.pk, consent_override_reason=REASON)
    assert response.status_code == 400
    assert "consent" in response.json()["distribution"][0]
    assert Case.objects.get(pk=case.pk).distribution == "organisation"


def test_consent_given_or_no_wider_share_asks_for_nothing(world):
    consented = kept_case(world, consent=True)
    assert patch(world, consented, distribution="network").status_code == 200
    assert "consent_override_reason" not in shares_of(consented)[0]
    # Already shared (before the rule): other changes and narrowing need no reason.
    shared = CaseFactory(owner=world.ngo_fr, tlp=TLP.GREEN, distribution=Distribution.NETWORK)
    assert patch(world, shared, channel="deportation").status_code == 200
    shared.refresh_from_db()
    assert patch(world, shared, distribution="sharing_group",
                 sharing_group=world.fr_de_group.pk).status_code == 200
    # Another subject, without consent, on a shared case: shared anew.
    shared.refresh_from_db()
    other = SubjectFactory(owner=world.ngo_fr, consent_to_share=False)
    assert patch(world, shared, subject=other.reference).status_code == 400


def test_the_case_edit_form_asks_for_the_reason_next_to_its_field(world):
    case = kept_case(world)
    client = signed_in(world.fr_caseworker)
    url = reverse("cases:case_edit", args=[case.pk])
    assert 'name="consent_override_reason"' in client.get(url).content.decode()
    response = client.post(url, edit_data(case, distribution="network"))
    assert response.status_code == 400
    assert 'id="id_consent_override_reason_error"' in response.content.decode()
    response = client.post(url, edit_data(case, distribution="network",
                                          consent_override_reason=REASON))
    assert response.status_code == 302, response.content.decode()
    assert shares_of(case)[0]["consent_override_reason"] == REASON


# --- findings --------------------------------------------------------------------------------


@pytest.fixture
def finding(world) -> Finding:
    case = monitored_case(world, surrender=TODAY - 5 * DAY, distribution=Distribution.NETWORK,
                          tlp=TLP.GREEN,
                          subject=SubjectFactory(owner=world.ngo_fr, consent_to_share=False))
    assurance = AssuranceFactory(case=case, type=Assurance.Type.NO_TORTURE)
    submit(world, first_visit(case), checked_at=NOW - 2 * HOUR,
           findings=[{"assurance": assurance, "outcome": "breach", "severity": "high"}])
    found = Finding.objects.get(case=case)
    Finding.objects.filter(pk=found.pk).update(distribution=Distribution.ORGANISATION)
    found.refresh_from_db()
    return found


def share_finding(world, finding, **body):
    finding.refresh_from_db()
    return api_client(world.fr_caseworker).post(
        f"/api/v1/findings/{finding.pk}/share/",
        {"version": finding.version, "distribution": "network", **body}, format="json")


def test_sharing_a_finding_without_consent_needs_a_reason_or_is_refused(world, finding):
    response = share_finding(world, finding)
    assert response.status_code == 400
    assert "consent" in response.json()["consent_override_reason"][0]
    assert share_finding(world, finding, consent_override_reason=REASON).status_code == 200
    (detail,) = shares_of(finding)
    assert detail["consent_override_reason"] == REASON
    # Narrowing and aggregates only are not shares beyond the owner.
    assert share_finding(world, finding, distribution="aggregate_only").status_code == 200
    refuse(world)
    assert share_finding(world, finding, consent_override_reason=REASON).status_code == 400
    finding.refresh_from_db()
    assert finding.distribution == "aggregate_only"


def test_the_finding_share_form_asks_for_the_reason_next_to_its_field(world, finding):
    client = signed_in(world.fr_caseworker)
    url = reverse("monitoring:finding_share", args=[finding.pk])
    data = {"distribution": "network", "tlp": finding.tlp, "sharing_group": "",
            "version": finding.version}
    response = client.post(url, data)
    assert response.status_code == 400
    assert 'id="id_consent_override_reason_error"' in response.content.decode()
    assert client.post(url, {**data, "consent_override_reason": REASON}).status_code == 302
    assert shares_of(finding)[0]["consent_override_reason"] == REASON


# --- the organisation's rule -----------------------------------------------------------------


def test_only_org_admins_set_the_rule_and_it_is_audited(world):
    url = reverse("cases:organisation_settings")
    assert world.ngo_fr.share_without_consent == Rule.REASON
    anonymous = signed_in(None).get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    for user in (world.fr_caseworker, world.fr_liaison, world.fr_auditor):
        assert signed_in(user).get(url).status_code == 404
        assert signed_in(user).post(url, {"share_without_consent": "refuse"}).status_code == 404
    with pytest.raises(PermissionDenied):
        organisation_share_without_consent_set(actor=world.fr_caseworker,
                                               organisation=world.ngo_fr, rule=Rule.REFUSE)
    admin = signed_in(world.fr_admin)
    assert 'value="refuse"' in admin.get(url).content.decode()
    assert admin.post(url, {"share_without_consent": "never"}).status_code == 400
    assert admin.post(url, {"share_without_consent": "refuse"}).status_code == 302
    assert Organisation.objects.get(pk=world.ngo_fr.pk).share_without_consent == Rule.REFUSE
    event = AuditEvent.objects.get(action="update", object_id=str(world.ngo_fr.pk))
    assert event.changed_fields == ["share_without_consent"]
    assert event.detail == {"share_without_consent": {"from": "reason", "to": "refuse"}}
    # Another organisation's rule is not this admin's to set.
    assert Organisation.objects.get(pk=world.ministry_de.pk).share_without_consent == (
        Rule.REASON)


# --- the schema ------------------------------------------------------------------------------


def test_the_schema_offers_the_reason_to_a_change_and_a_share_only():
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out, stderr=io.StringIO())
    components = json.loads(out.getvalue())["components"]["schemas"]
    assert "consent_override_reason" in components["PatchedCaseRequest"]["properties"]
    assert "consent_override_reason" in components["FindingShareRequest"]["properties"]
    # A case shared from its opening asks for the reason too.
    assert "consent_override_reason" in components["CaseRequest"]["properties"]
    assert "consent_override_reason" not in components["Case"]["properties"]
    assert "finding" in components["Notification"]["properties"]
