"""The web forms of a case: creating and editing it, its subject suggestions, changing its status,
and what the forms do with bad input and stale versions."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    AuditEvent,
    Case,
)

from ..factories import (
    CaseFactory,
    SharingGroupFactory,
    SubjectFactory,
)
from .test_web_cases import (
    FULL_NAME,
    OWNER_ONLY,
    days_ago,
    shared_case,
    signed_in,
    snapshot,
    url_of,
    views_recorded,
)


@pytest.fixture
def shared(world):
    return shared_case(world)


# --- creating and editing a case ---------------------------------------------------------


def case_data(own_subject, **changes) -> dict:
    data = {
        "subject": own_subject.reference, "status": "request_received", "requesting_state": "CN",
        "requested_state": "FR", "channel": "extradition", "legal_instrument": "",
        "legal_basis_note": "Our own note", "interpol_notice": "red",
        "interpol_reference": "IP-77", "request_date": days_ago(40).isoformat(),
        "arrest_date": "", "decision_date": "", "surrender_date": "", "tlp": "amber",
        "distribution": "sharing_group", "sharing_group": "", "offence-0-description":
        "Embezzlement", "offence-0-category": "economic_corruption",
        "offence-0-max_penalty": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_a_caseworker_creates_a_case(world):
    subject = SubjectFactory(owner=world.ngo_fr)
    client = signed_in(world.fr_caseworker)
    response = client.post(reverse("cases:case_create"), case_data(
        subject, sharing_group=str(world.fr_de_group.pk),
        named_recipients=[str(world.fr_liaison.pk)]))
    assert response.status_code == 302
    case = Case.objects.get(subject=subject)
    assert response["Location"] == reverse("cases:case_detail", kwargs={"pk": case.pk})
    assert case.owner == world.ngo_fr and case.sharing_group == world.fr_de_group
    assert [(o.description, o.category) for o in case.offences.all()] == [
        ("Embezzlement", "economic_corruption")]
    assert list(case.named_recipients.all()) == [world.fr_liaison]


def test_the_form_offers_only_what_the_user_may_choose(world):
    mine = SubjectFactory(owner=world.ngo_fr)
    theirs = SubjectFactory(owner=world.ministry_de)
    hidden_group = SharingGroupFactory(name="DE-IT only", owner=world.ministry_de,
                                       members=[world.ngo_it])
    form = signed_in(world.fr_caseworker).get(reverse("cases:case_create")).content.decode()
    # Subjects are typed, not listed: neither the organisation's own nor anyone else's.
    assert mine.reference not in form and theirs.reference not in form
    assert 'name="subject"' in form and 'list="id_subject_options"' in form
    assert "FR-DE" in form and hidden_group.name not in form
    assert world.fr_liaison.username in form and world.de_liaison.username not in form


def subject_options(user, typed: str, organisation=None) -> str:
    params = {"subject": typed}
    if organisation is not None:
        params["organisation"] = organisation.slug
    response = signed_in(user).get(reverse("cases:subject_options"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_subject_suggestions_are_the_organisations_own(world, shared):
    reference = shared.subject.reference
    theirs = SubjectFactory(owner=world.ministry_de, full_name="Wenhua Other-Person")
    part = reference[2:8]
    # By reference: the owner's roles, each with what its role may see of the person.
    assert f'<option value="{reference}">{FULL_NAME}</option>' in subject_options(
        world.fr_caseworker, part)
    assert f'<option value="{reference}"></option>' in subject_options(world.fr_auditor, part)
    # By name: only for roles that may see identifiers, each display audited.
    before = views_recorded(shared.subject)
    # Whole words of the name, in any case and order (the name index matches words).
    by_name = subject_options(world.fr_liaison, "WENHUA", world.ngo_fr)
    assert reference in by_name and FULL_NAME in by_name and theirs.reference not in by_name
    assert views_recorded(shared.subject) == before + 1
    assert reference not in subject_options(world.fr_auditor, "Wenhua")
    # The partner sees the case, but suggestions are of its own organisation's subjects,
    # whatever organisation the request names.
    for user in (world.de_caseworker, world.it_caseworker):
        for organisation in (None, world.ngo_fr):
            page = subject_options(user, part, organisation)
            assert reference not in page and FULL_NAME not in page
    assert theirs.reference in subject_options(world.de_caseworker, "wenhua", world.ngo_fr)
    # Too little typed, or junk: nothing at all.
    assert "<option" not in subject_options(world.fr_caseworker, "S")
    assert "<option" not in subject_options(world.fr_caseworker, "SUBJ\x00")


def test_a_subject_page_starts_a_case_for_that_subject(world, shared):
    client = signed_in(world.fr_caseworker)
    page = client.get(url_of("subject_detail", shared)).content.decode()
    start = f"{reverse('cases:case_create')}?subject={shared.subject.reference}"
    assert start in page
    assert f'value="{shared.subject.reference}"' in client.get(start).content.decode()
    assert start not in signed_in(world.fr_auditor).get(
        url_of("subject_detail", shared)).content.decode()
    assert start not in signed_in(world.de_caseworker).get(
        url_of("subject_detail", shared)).content.decode()


def test_the_tlp_ceiling_error_shows_next_to_the_field_and_input_is_kept(world):
    subject = SubjectFactory(owner=world.ngo_fr)
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(
        reverse("cases:case_create"),
        case_data(subject, tlp="red", distribution="network", interpol_reference="IP-KEPT-9"))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_distribution_error"' in page and "TLP:RED allows at most" in page
    assert 'value="IP-KEPT-9"' in page and "Embezzlement" in page
    assert snapshot() == before


def _snapshot_case(world):
    subject = SubjectFactory(owner=world.ngo_fr)
    hidden_subject = SubjectFactory(owner=world.ministry_de)
    hidden_group = SharingGroupFactory(name="DE-IT", owner=world.ministry_de,
                                       members=[world.ngo_it])
    return subject, hidden_subject, hidden_group


BAD_CASE_INPUT = [
    ("subject", lambda s: {"subject": s[1].reference}),
    ("subject", lambda s: {"subject": str(s[0].pk)}),
    ("subject", lambda s: {"subject": "SUBJ-\x00"}),
    ("subject", lambda s: {"subject": ""}),
    ("requesting_state", lambda s: {"requesting_state": "ZZ"}),
    ("requested_state", lambda s: {"requested_state": "CN"}),
    ("channel", lambda s: {"channel": "teleportation"}),
    ("legal_instrument", lambda s: {"legal_instrument": "99999999999999999999999"}),
    ("request_date", lambda s: {"request_date": "2026-02-31"}),
    ("request_date", lambda s: {"request_date": (timezone.localdate()
                                                 + datetime.timedelta(days=3)).isoformat()}),
    ("sharing_group", lambda s: {"sharing_group": str(s[2].pk)}),
    ("sharing_group", lambda s: {"sharing_group": "abc"}),
    ("named_recipients", lambda s: {"named_recipients": ["999999"]}),
    ("legal_basis_note", lambda s: {"legal_basis_note": "a\x00b"}),
    ("tlp", lambda s: {"tlp": "purple"}),
    ("status", lambda s: {"status": "surrendered"}),
    ("offence-0-category", lambda s: {"offence-0-category": "jaywalking"}),
    ("offence-1-category", lambda s: {"offence-1-description": "Only a description"}),
]


@pytest.mark.parametrize(("field", "bad"), BAD_CASE_INPUT)
def test_bad_case_input_is_a_400_next_to_the_field(world, field, bad):
    records = _snapshot_case(world)
    data = case_data(records[0], distribution="organisation", **bad(records))
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(reverse("cases:case_create"), data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert snapshot() == before


def test_the_named_recipients_must_be_colleagues(world):
    subject = SubjectFactory(owner=world.ngo_fr)
    response = signed_in(world.fr_caseworker).post(reverse("cases:case_create"), case_data(
        subject, distribution="organisation", named_recipients=[str(world.de_admin.pk)]))
    assert response.status_code == 400
    assert 'id="id_named_recipients_error"' in response.content.decode()


def edit_data(case: Case, **changes) -> dict:
    data = case_data(
        case.subject, status=None, requesting_state=case.requesting_state_id,
        requested_state=case.requested_state_id, channel=case.channel,
        legal_basis_note=case.legal_basis_note, interpol_notice=case.interpol_notice,
        interpol_reference=case.interpol_reference,
        request_date=case.request_date.isoformat() if case.request_date else "",
        tlp=case.tlp, distribution=case.distribution,
        sharing_group=str(case.sharing_group_id or ""), version=str(case.version),
        **{"offence-0-description": None, "offence-0-category": None},
    )
    for i, offence in enumerate(case.offences.all()):
        data[f"offence-{i}-description"] = offence.description
        data[f"offence-{i}-category"] = offence.category
        data[f"offence-{i}-max_penalty"] = offence.max_penalty
    data.update(changes)
    return data


def test_an_edit_saves_and_leaves_unchanged_offences_alone(world, shared):
    client = signed_in(world.fr_caseworker)
    url = url_of("case_edit", shared)
    form = client.get(url).content.decode()
    assert f'name="version" value="{shared.case.version}"' in form
    assert OWNER_ONLY[3] in form
    response = client.post(url, edit_data(shared.case, channel="deportation"))
    assert response.status_code == 302, response.content.decode()
    case = Case.objects.get(pk=shared.case.pk)
    assert case.channel == "deportation" and case.version == shared.case.version + 1
    update = AuditEvent.objects.filter(action="update", object_id=str(case.pk)).get()
    assert update.changed_fields == ["channel"]


def test_a_stale_edit_shows_what_changed_and_overwrites_nothing(world, shared):
    client = signed_in(world.fr_caseworker)
    stale = edit_data(shared.case, channel="deportation")
    services.case_update(actor=world.fr_admin, case=shared.case, version=shared.case.version,
                         channel="irregular_return")
    response = client.post(url_of("case_edit", shared), stale)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'class="conflict"' in page
    assert "Irregular return" in page and "Deportation" in page
    current = Case.objects.get(pk=shared.case.pk)
    assert current.channel == "irregular_return"
    # The form now carries the current version: saving again goes through.
    assert f'name="version" value="{current.version}"' in page
    again = client.post(url_of("case_edit", shared), {**stale, "version": current.version})
    assert again.status_code == 302
    assert Case.objects.get(pk=shared.case.pk).channel == "deportation"


def test_an_edit_without_a_version_says_so(world, shared):
    data = edit_data(shared.case)
    del data["version"]
    response = signed_in(world.fr_caseworker).post(url_of("case_edit", shared), data)
    assert response.status_code == 400
    assert "version" in response.content.decode()


# --- status changes ----------------------------------------------------------------------


def test_the_transition_form_offers_only_the_allowed_statuses(world, shared):
    page = signed_in(world.fr_liaison).get(url_of("case_transition", shared)).content.decode()
    assert 'value="assurances_requested"' in page and 'value="executive_decision"' in page
    assert 'value="surrendered"' not in page and 'value="monitoring_active"' not in page
    response = signed_in(world.fr_liaison).post(url_of("case_transition", shared), {
        "to": "surrendered", "version": shared.case.version})
    assert response.status_code == 400
    assert 'id="id_to_error"' in response.content.decode()


def test_a_liaison_changes_the_status(world, shared):
    response = signed_in(world.fr_liaison).post(url_of("case_transition", shared), {
        "to": "assurances_requested", "date": days_ago(1).isoformat(), "note": "Asked",
        "version": shared.case.version})
    assert response.status_code == 302
    case = Case.objects.get(pk=shared.case.pk)
    assert case.status == "assurances_requested" and case.status_changed_on == days_ago(1)


def test_a_missing_consultation_stops_the_move_with_the_reason_next_to_it(world):
    subject = SubjectFactory(owner=world.ngo_fr, nationalities=["CN", "PL"])
    case = CaseFactory(owner=world.ngo_fr, subject=subject)
    url = reverse("cases:case_transition", kwargs={"pk": case.pk})
    client = signed_in(world.fr_caseworker)
    assert "Petruhhin duty" in client.get(url).content.decode()
    response = client.post(url, {"to": "judicial_phase", "note": "Kept note",
                                 "version": case.version})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_to_error"' in page and "PL" in page and "Kept note" in page
    assert Case.objects.get(pk=case.pk).status == "request_received"


@pytest.mark.parametrize("bad", [
    {"to": "judicial_phase", "date": "yesterday"},
    {"to": "judicial_phase", "date": "1850-01-01"},
    {"to": "judicial_phase", "date": "2999-01-01"},
    {"to": "judicial_phase", "version": "abc"},
    {"to": "judicial\x00phase"},
    {"to": ""},
    {"to": "judicial_phase", "note": "x" * 6000},
])
def test_bad_transition_input_is_a_400(world, bad):
    case = CaseFactory(owner=world.ngo_fr)
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(
        reverse("cases:case_transition", kwargs={"pk": case.pk}),
        {"version": case.version, **bad})
    assert response.status_code == 400
    assert b'class="error' in response.content
    assert snapshot() == before


def test_a_stale_transition_is_a_conflict(world, shared):
    loaded = shared.case.version
    services.case_transition(actor=world.fr_admin, case=shared.case, to="assurances_requested",
                             on=days_ago(1))
    response = signed_in(world.fr_caseworker).post(url_of("case_transition", shared), {
        "to": "withdrawn", "version": loaded})
    assert response.status_code == 409
    assert 'class="conflict"' in response.content.decode()
    assert Case.objects.get(pk=shared.case.pk).status == "assurances_requested"
