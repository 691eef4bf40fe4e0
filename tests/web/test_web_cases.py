"""The case register pages: who reaches each page, what each sees, and what the forms do with
good and bad input. A case of ngo_fr is shared with ministry_de through their sharing group;
ngo_it is an outsider."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Offence,
    ProceedingEvent,
    Subject,
    SubjectNationality,
)
from cases.models.sharing import TLP, Distribution
from cases.views import base

from ..factories import (
    AssuranceFactory,
    CaseFactory,
    ProceedingFactory,
    SharingGroupFactory,
    SubjectFactory,
)

PASSWORD = "correct horse battery staple"

PAGES = {
    "cases:case_list",
    "cases:case_create",
    "cases:case_detail",
    "cases:case_edit",
    "cases:case_transition",
    "cases:subject_create",
    "cases:subject_detail",
    "cases:subject_edit",
    "cases:subject_options",
    "cases:assurance_create",
    "cases:assurance_edit",
    "cases:assurance_delete",
    "cases:proceeding_create",
    "cases:proceeding_edit",
    "cases:proceeding_delete",
}

FULL_NAME = "Wenhua Fictional-Person"
CONTACTS = "Lawyer Maitre Secretive, +33 1 99 99 99 99"
# Free text the owner keeps: never on a page outside ngo_fr.
OWNER_ONLY = (
    "Confidential note on sources",  # legal_basis_note
    "A-1234/5-2026",  # interpol_reference
    "Hearing notes naming the family",  # proceeding description
    "Fraud through a shell company in Lyon",  # offence description
    "Transition note for colleagues",  # transition note
)


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def client_of(world, who: str) -> Client:
    return Client() if who == "anonymous" else signed_in(getattr(world, who))


@pytest.fixture
def shared(world):
    """A case of ngo_fr shared with ministry_de, with an assurance, a proceeding and a move."""
    subject = SubjectFactory(owner=world.ngo_fr, full_name=FULL_NAME, contacts=CONTACTS,
                             nationalities=["CN"])
    case = CaseFactory(owner=world.ngo_fr, subject=subject,
                       distribution=Distribution.SHARING_GROUP,
                       sharing_group=world.fr_de_group, tlp=TLP.AMBER,
                       request_date=days_ago(30))
    Offence.objects.create(case=case, description=OWNER_ONLY[3], category="economic_corruption")
    assurance = AssuranceFactory(case=case, given_on=days_ago(20))
    proceeding = ProceedingFactory(case=case, date=days_ago(10))
    services.case_transition(actor=world.fr_caseworker, case=case, to="judicial_phase",
                             on=days_ago(5), note=OWNER_ONLY[4])
    case.refresh_from_db()
    return SimpleNamespace(case=case, subject=subject, assurance=assurance,
                           proceeding=proceeding)


def url_of(name: str, s) -> str:
    target = {
        "case_list": None, "case_create": None, "subject_create": None,
        "subject_options": None,
        "case_detail": s.case, "case_edit": s.case, "case_transition": s.case,
        "assurance_create": s.case, "proceeding_create": s.case,
        "subject_detail": s.subject, "subject_edit": s.subject,
        "assurance_edit": s.assurance, "assurance_delete": s.assurance,
        "proceeding_edit": s.proceeding, "proceeding_delete": s.proceeding,
    }[name]
    return reverse(f"cases:{name}", kwargs={"pk": target.pk} if target else None)


WHO = ["fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin", "de_caseworker", "de_admin",
       "it_caseworker", "anonymous"]
OWNER_WRITERS = {"fr_caseworker": 200, "fr_admin": 200}
# Who gets what on GET, per page: roles of the owner that may (200), may not (403), the
# partner (sees what is shared, writes nothing: 403), the outsider (404), anonymous (302).
EXPECTED = {
    "case_list": dict.fromkeys(WHO[:-1], 200),
    # Everyone may ask; what it offers is each user's own (tested below).
    "subject_options": dict.fromkeys(WHO[:-1], 200),
    "case_create": {"fr_liaison": 403, "fr_auditor": 403, "de_caseworker": 200,
                    "de_admin": 200, "it_caseworker": 200, **OWNER_WRITERS},
    "subject_create": {"fr_liaison": 403, "fr_auditor": 403, "de_caseworker": 200,
                       "de_admin": 200, "it_caseworker": 200, **OWNER_WRITERS},
    "case_detail": {"fr_caseworker": 200, "fr_liaison": 200, "fr_auditor": 200,
                    "fr_admin": 200, "de_caseworker": 200, "de_admin": 200,
                    "it_caseworker": 404},
    "subject_detail": {"fr_caseworker": 200, "fr_liaison": 200, "fr_auditor": 200,
                       "fr_admin": 200, "de_caseworker": 200, "de_admin": 200,
                       "it_caseworker": 404},
    "case_transition": {"fr_caseworker": 200, "fr_liaison": 200, "fr_auditor": 403,
                        "fr_admin": 200, "de_caseworker": 403, "de_admin": 403,
                        "it_caseworker": 404},
    **{name: {"fr_caseworker": 200, "fr_liaison": 403, "fr_auditor": 403, "fr_admin": 200,
              "de_caseworker": 403, "de_admin": 403, "it_caseworker": 404}
       for name in ("case_edit", "subject_edit", "assurance_create", "assurance_edit",
                    "assurance_delete")},
    **{name: {"fr_caseworker": 200, "fr_liaison": 200, "fr_auditor": 403, "fr_admin": 200,
              "de_caseworker": 403, "de_admin": 403, "it_caseworker": 404}
       for name in ("proceeding_create", "proceeding_edit", "proceeding_delete")},
}
for _row in EXPECTED.values():
    _row["anonymous"] = 302


def test_pages_cover_every_url_name():
    assert {f"cases:{name}" for name in EXPECTED} == PAGES


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_who_reaches_each_page(world, shared, name, who):
    response = client_of(world, who).get(url_of(name, shared))
    assert response.status_code == EXPECTED[name][who]
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")


def snapshot() -> dict:
    """Every stored row of case data: equal before and after means nothing was written."""
    models = (Case, Case.named_recipients.through, Offence, CaseTransition, Subject,
              SubjectNationality, Assurance, ProceedingEvent)
    stored = {m.__name__: list(m.objects.order_by("pk").values()) for m in models}
    # A refused request for a record leaves a trace (access_denied), not a write.
    stored["writes"] = AuditEvent.objects.exclude(
        action__in=("view_personal_data", "login", "access_denied")).count()
    return stored


WRITES = ["case_create", "case_edit", "case_transition", "subject_create", "subject_edit",
          "assurance_create", "assurance_edit", "assurance_delete", "proceeding_create",
          "proceeding_edit", "proceeding_delete"]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", WRITES)
def test_a_post_by_whoever_may_not_writes_nothing(world, shared, name, who):
    if EXPECTED[name][who] == 200:
        return  # the forms' own tests cover those who may
    before = snapshot()
    response = client_of(world, who).post(url_of(name, shared), {"note": "x", "version": 1})
    assert response.status_code == EXPECTED[name][who]
    assert snapshot() == before


# --- what each sees --------------------------------------------------------------------------


def views_recorded(subject) -> int:
    return AuditEvent.objects.filter(action="view_personal_data",
                                     object_id=str(subject.pk)).count()


@pytest.mark.parametrize("who", ["fr_caseworker", "fr_liaison", "fr_admin"])
@pytest.mark.parametrize("name", ["case_detail", "subject_detail"])
def test_the_owner_sees_identifiers_and_the_view_is_recorded(world, shared, name, who):
    page = signed_in(getattr(world, who)).get(url_of(name, shared)).content.decode()
    assert FULL_NAME in page
    assert shared.subject.reference in page
    assert views_recorded(shared.subject) == 1


@pytest.mark.parametrize("who", ["fr_auditor", "de_caseworker", "de_admin"])
@pytest.mark.parametrize("name", ["case_detail", "subject_detail", "case_list"])
def test_auditors_and_partners_see_the_pseudonym_only(world, shared, name, who):
    page = signed_in(getattr(world, who)).get(url_of(name, shared)).content.decode()
    assert shared.subject.reference in page
    assert FULL_NAME not in page and CONTACTS not in page
    assert views_recorded(shared.subject) == 0


@pytest.mark.parametrize("who", ["fr_caseworker", "fr_auditor"])
def test_the_owner_sees_its_own_free_text(world, shared, who):
    page = signed_in(getattr(world, who)).get(url_of("case_detail", shared)).content.decode()
    for text in OWNER_ONLY:
        assert text in page


@pytest.mark.parametrize("who", ["de_caseworker", "de_liaison", "de_auditor", "de_admin"])
def test_the_partner_sees_the_structured_record_without_owner_only_text(world, shared, who):
    page = signed_in(getattr(world, who)).get(url_of("case_detail", shared)).content.decode()
    for text in OWNER_ONLY:
        assert text not in page
    for text in (shared.case.reference, "TLP:AMBER", "Sharing group", "FR-DE",
                 "Economic or corruption", "No torture or ill-treatment",
                 shared.assurance.verbatim_text, "Judicial phase", "Hearing"):
        assert text in page
    # Nothing to change: no buttons to the forms.
    for name in ("case_edit", "case_transition", "assurance_create", "proceeding_create",
                 "assurance_edit", "proceeding_delete"):
        assert url_of(name, shared) not in page


@pytest.mark.parametrize(("who", "buttons"), [
    ("fr_caseworker", {"case_edit", "case_transition", "assurance_create", "assurance_edit",
                       "assurance_delete", "proceeding_create", "proceeding_edit",
                       "proceeding_delete"}),
    ("fr_liaison", {"case_transition", "proceeding_create", "proceeding_edit",
                    "proceeding_delete"}),
    ("fr_auditor", set()),
])
def test_buttons_only_for_roles_that_may(world, shared, who, buttons):
    page = signed_in(getattr(world, who)).get(url_of("case_detail", shared)).content.decode()
    for name in ("case_edit", "case_transition", "assurance_create", "assurance_edit",
                 "assurance_delete", "proceeding_create", "proceeding_edit",
                 "proceeding_delete"):
        assert (url_of(name, shared) in page) == (name in buttons), name


def test_an_outsider_finds_nothing_in_the_list(world, shared):
    client = signed_in(world.it_caseworker)
    page = client.get(reverse("cases:case_list")).content.decode()
    assert shared.case.reference not in page
    # Searching for it (the box echoes the query) finds no row.
    page = client.get(reverse("cases:case_list"), {"q": shared.case.reference}).content.decode()
    assert url_of("case_detail", shared) not in page and "0 cases" in page


def test_a_red_case_stays_with_its_named_people(world):
    case = CaseFactory(owner=world.ngo_fr, tlp=TLP.RED)
    case.named_recipients.add(world.fr_caseworker)
    url = reverse("cases:case_detail", kwargs={"pk": case.pk})
    assert signed_in(world.fr_caseworker).get(url).status_code == 200
    assert signed_in(world.fr_admin).get(url).status_code == 404
    assert case.reference not in signed_in(world.fr_admin).get(
        reverse("cases:case_list")).content.decode()


def test_names_are_searched_only_inside_the_owner(world, shared):
    url = reverse("cases:case_list")
    mine = signed_in(world.fr_caseworker).get(url, {"q": "Wenhua"}).content.decode()
    assert shared.case.reference in mine
    theirs = signed_in(world.de_caseworker).get(url, {"q": "Wenhua"}).content.decode()
    assert shared.case.reference not in theirs


# --- the list ----------------------------------------------------------------------------


def test_the_list_filters_and_sorts(world, shared):
    other = CaseFactory(owner=world.ngo_fr, tlp=TLP.GREEN, request_date=days_ago(400),
                        requesting_state_id="RU")
    client = signed_in(world.fr_caseworker)
    url = reverse("cases:case_list")
    page = client.get(url, {"tlp": "green"}).content.decode()
    assert other.reference in page and shared.case.reference not in page
    page = client.get(url, {"requesting_state": "CN", "status": "judicial_phase"}).content
    assert shared.case.reference in page.decode() and other.reference not in page.decode()
    page = client.get(url, {"request_date_after": days_ago(60).isoformat()}).content.decode()
    assert shared.case.reference in page and other.reference not in page
    page = client.get(url, {"organisation": "ngo-fr", "distribution": "sharing_group"})
    assert shared.case.reference in page.content.decode()
    for sort, first in (("reference", min), ("-reference", max)):
        page = client.get(url, {"sort": sort}).content.decode()
        refs = sorted([shared.case.reference, other.reference])
        assert page.index(first(refs)) < page.index(
            refs[1] if first is min else refs[0])
    page = client.get(url, {"sort": "request_date"}).content.decode()
    assert page.index(other.reference) < page.index(shared.case.reference)
    page = client.get(url, {"sort": "status"}).content.decode()
    assert page.index(other.reference) < page.index(shared.case.reference)
    assert 'aria-sort="ascending"' in page


def _cases(world, n):
    for i in range(n):
        case = CaseFactory(
            owner=world.ngo_fr,
            subject=SubjectFactory(owner=world.ngo_fr, nationalities=["DE", "CN"]),
            distribution=Distribution.SHARING_GROUP if i % 2 else Distribution.ORGANISATION,
            sharing_group=world.fr_de_group if i % 2 else None,
            tlp=TLP.GREEN,
        )
        AssuranceFactory(case=case)


def _count(client, params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("cases:case_list"), params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode().count("<tr>") - 1


@pytest.mark.parametrize("params", [{}, {"q": "T-", "status": "request_received",
                                         "sort": "status"}])
def test_the_list_costs_the_same_queries_for_5_or_40_cases(world, params):
    client = signed_in(world.fr_caseworker)
    _cases(world, 5)
    few, rows_few = _count(client, params)
    _cases(world, 35)
    many, rows_many = _count(client, params)
    assert (rows_few, rows_many) == (5, 40)
    assert few == many


@pytest.mark.parametrize("params", [
    {"status": "bogus"},
    {"q": "a\x00b"},
    {"q": "x" * 500},
    {"request_date_after": "not-a-date"},
    {"created_before": "2026-13-45"},
    {"requesting_state": "ZZ"},
    {"requesting_state": "F\x00"},
    {"organisation": "no-such-org"},
    {"tlp": ["red", "purple"]},
])
def test_bad_filters_are_a_400_with_the_message_never_a_500(world, shared, params):
    response = signed_in(world.fr_caseworker).get(reverse("cases:case_list"), params)
    assert response.status_code == 400
    assert b'class="error"' in response.content
    assert shared.case.reference.encode() not in response.content


@pytest.mark.parametrize("params", [{"page": "abc"}, {"page": "99999"}, {"sort": "bogus"},
                                    {"sort": "\x00"}])
def test_odd_paging_and_sorting_fall_back(world, shared, params):
    response = signed_in(world.fr_caseworker).get(reverse("cases:case_list"), params)
    assert response.status_code == 200
    assert shared.case.reference.encode() in response.content


# --- the case page -----------------------------------------------------------------------


def test_the_petruhhin_warning_shows_until_the_state_is_informed(world):
    subject = SubjectFactory(owner=world.ngo_fr, nationalities=["CN", "DE"])
    case = CaseFactory(owner=world.ngo_fr, subject=subject)
    client = signed_in(world.fr_caseworker)
    url = reverse("cases:case_detail", kwargs={"pk": case.pk})
    page = client.get(url).content.decode()
    assert "Petruhhin duty" in page and 'class="banner warning"' in page
    ProceedingFactory(case=case, kind="nationality_consultation", consulted_state_id="DE",
                      date=days_ago(1))
    page = client.get(url).content.decode()
    assert "Petruhhin duty" not in page
    assert "States of nationality informed (Petruhhin): DE" in page


def test_the_timeline_merges_sources_newest_first_and_panels_render(world, shared):
    def source(request, case, owner_view):
        return [{"date": timezone.now(), "kind": "follow_up", "summary": "Visit planned"},
                {"date": days_ago(100), "kind": "note", "summary": "Old entry"},
                {"date": None, "kind": "note", "summary": "Undated entry"}]

    panel = base.CasePanel(
        template="cases/includes/consultation.html",
        context=lambda request, case: {"consultation": {
            "required": True, "states": ["PL"], "recorded": [], "missing": ["PL"]}},
    )
    base.TIMELINE_SOURCES.append(source)
    base.CASE_PANELS.append(panel)
    try:
        page = signed_in(world.de_caseworker).get(url_of("case_detail", shared)).content
    finally:
        base.TIMELINE_SOURCES.remove(source)
        base.CASE_PANELS.remove(panel)
    page = page.decode()
    order = ["Visit planned", "Request received → Judicial phase", "Hearing",
             "No torture or ill-treatment", "Old entry", "Undated entry"]
    positions = [page.index(text, page.index('id="timeline-heading"')) for text in order]
    assert positions == sorted(positions)
    assert "nationality of PL" in page


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
    by_name = subject_options(world.fr_liaison, "wenhua fict", world.ngo_fr)
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


# --- subjects ----------------------------------------------------------------------------


def subject_data(**changes) -> dict:
    data = {"full_name": "New Fictional Person", "other_names": "", "date_of_birth":
            "1980-05-01", "contacts": "", "notes": "", "refugee_status": "none",
            "protection_state": "", "nationality-0-country": "CN",
            "nationality-0-acquired_on": "", "nationality-0-lost_on": "",
            "nationality-1-country": "DE", "nationality-1-acquired_on": "2001-01-01"}
    data.update(changes)
    return data


def test_a_caseworker_creates_and_edits_a_subject(world):
    client = signed_in(world.fr_caseworker)
    response = client.post(reverse("cases:subject_create"), subject_data(reprisal_risk="on"))
    assert response.status_code == 302
    subject = Subject.objects.get(full_name="New Fictional Person")
    assert subject.owner == world.ngo_fr and subject.reprisal_risk
    assert sorted(subject.nationalities.values_list("country_id", flat=True)) == ["CN", "DE"]
    url = reverse("cases:subject_edit", kwargs={"pk": subject.pk})
    form = client.get(url).content.decode()
    assert 'value="New Fictional Person"' in form and 'value="2001-01-01"' in form
    assert views_recorded(subject) == 1
    response = client.post(url, subject_data(full_name="Renamed Person", version=1,
                                             **{"nationality-1-country": "",
                                                "nationality-1-acquired_on": ""}))
    assert response.status_code == 302
    subject.refresh_from_db()
    assert subject.full_name == "Renamed Person" and not subject.reprisal_risk
    assert list(subject.nationalities.values_list("country_id", flat=True)) == ["CN"]


@pytest.mark.parametrize(("field", "bad"), [
    ("full_name", {"full_name": ""}),
    ("full_name", {"full_name": "a\x00b"}),
    ("date_of_birth", {"date_of_birth": "1980-02-30"}),
    ("date_of_birth", {"date_of_birth": "2999-01-01"}),
    ("refugee_status", {"refugee_status": "pirate"}),
    ("protection_state", {"protection_state": "XX"}),
    ("nationality-0-country", {"nationality-0-country": "Q\x00"}),
    ("nationality-1-acquired_on", {"nationality-1-acquired_on": "soon"}),
    ("nationality-2-country", {"nationality-2-acquired_on": "2000-01-01"}),
])
def test_bad_subject_input_is_a_400_next_to_the_field(world, field, bad):
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(reverse("cases:subject_create"),
                                                    subject_data(**bad))
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    if field != "full_name":
        assert 'value="New Fictional Person"' in page
    assert snapshot() == before


def test_a_nationality_listed_twice_is_refused_with_the_rows(world):
    response = signed_in(world.fr_caseworker).post(reverse("cases:subject_create"),
                                                    subject_data(**{"nationality-1-country":
                                                                    "CN",
                                                                    "nationality-1-acquired_on":
                                                                    ""}))
    assert response.status_code == 400
    assert "listed twice" in response.content.decode()
    assert not Subject.objects.filter(full_name="New Fictional Person").exists()


def test_a_stale_subject_edit_is_a_conflict(world, shared):
    url = url_of("subject_edit", shared)
    services.subject_update(actor=world.fr_admin, subject=shared.subject,
                            version=shared.subject.version, full_name="Changed Elsewhere")
    response = signed_in(world.fr_caseworker).post(url, subject_data(version=1))
    assert response.status_code == 409
    assert "Changed Elsewhere" in response.content.decode()
    assert Subject.objects.get(pk=shared.subject.pk).full_name == "Changed Elsewhere"


# --- assurances and proceedings ----------------------------------------------------------


ASSURANCE = {"type": "fair_trial", "death_penalty_scope": "", "verbatim_text": "A fair trial.",
             "form": "diplomatic_note", "binding": "unknown", "issuer": "Embassy",
             "issuer_level": "embassy", "given_on": "", "disclosed_to_court": "true",
             "monitoring_who": "", "monitoring_frequency_days": "30",
             "monitoring_private": "unknown", "monitoring_unannounced": "unknown",
             "monitoring_terms": ""}


def test_assurances_are_added_edited_and_deleted(world, shared):
    client = signed_in(world.fr_caseworker)
    response = client.post(url_of("assurance_create", shared), ASSURANCE)
    assert response.status_code == 302
    assurance = Assurance.objects.get(case=shared.case, type="fair_trial")
    assert assurance.disclosed_to_court is True and assurance.binding is None
    edit = reverse("cases:assurance_edit", kwargs={"pk": assurance.pk})
    assert 'value="A fair trial."' not in client.get(edit).content.decode()  # a textarea
    response = client.post(edit, {**ASSURANCE, "issuer": "Ministry", "version": 1})
    assert response.status_code == 302
    assert Assurance.objects.get(pk=assurance.pk).issuer == "Ministry"
    response = client.post(edit, {**ASSURANCE, "issuer": "Stale", "version": 1})
    assert response.status_code == 409 and "Ministry" in response.content.decode()
    delete = reverse("cases:assurance_delete", kwargs={"pk": assurance.pk})
    assert b'class="danger"' in client.get(delete).content
    assert client.post(delete).status_code == 302
    assert not Assurance.objects.filter(pk=assurance.pk).exists()


@pytest.mark.parametrize(("field", "bad"), [
    ("type", {"type": "pinky_promise"}),
    ("death_penalty_scope", {"death_penalty_scope": "not_sought"}),
    ("verbatim_text", {"verbatim_text": ""}),
    ("given_on", {"given_on": "2999-12-31"}),
    ("monitoring_frequency_days", {"monitoring_frequency_days": str(10**30)}),
    ("monitoring_frequency_days", {"monitoring_frequency_days": "-3"}),
    ("form", {"form": "x\x00"}),
    ("issuer", {"issuer": "x" * 301}),
])
def test_bad_assurance_input_is_a_400_next_to_the_field(world, shared, field, bad):
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(url_of("assurance_create", shared),
                                                    {**ASSURANCE, **bad})
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert "A fair trial." in page if field != "verbatim_text" else 'value="Embassy"' in page
    assert snapshot() == before


def test_proceedings_are_added_edited_and_deleted_by_a_liaison(world, shared):
    client = signed_in(world.fr_liaison)
    data = {"kind": "nationality_consultation", "date": days_ago(2).isoformat(),
            "authority": "Ministry", "consulted_state": "DE", "description": "Letter sent",
            "outcome": ""}
    assert client.post(url_of("proceeding_create", shared), data).status_code == 302
    proceeding = ProceedingEvent.objects.get(case=shared.case, kind="nationality_consultation")
    edit = reverse("cases:proceeding_edit", kwargs={"pk": proceeding.pk})
    assert client.post(edit, {**data, "outcome": "Acknowledged", "version": 1}).status_code \
        == 302
    assert ProceedingEvent.objects.get(pk=proceeding.pk).outcome == "Acknowledged"
    delete = reverse("cases:proceeding_delete", kwargs={"pk": proceeding.pk})
    assert client.post(delete).status_code == 302
    assert not ProceedingEvent.objects.filter(pk=proceeding.pk).exists()


@pytest.mark.parametrize(("field", "bad"), [
    ("consulted_state", {"kind": "nationality_consultation", "consulted_state": ""}),
    ("consulted_state", {"consulted_state": "DE"}),
    ("date", {"date": ""}),
    ("date", {"date": "1700-01-01"}),
    ("kind", {"kind": "duel"}),
    ("description", {"description": "\x00"}),
])
def test_bad_proceeding_input_is_a_400_next_to_the_field(world, shared, field, bad):
    data = {"kind": "hearing", "date": days_ago(2).isoformat(), "authority": "Kept court",
            "consulted_state": "", "description": "", "outcome": "", **bad}
    before = snapshot()
    response = signed_in(world.fr_caseworker).post(url_of("proceeding_create", shared), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page and 'value="Kept court"' in page
    assert snapshot() == before


def test_delete_pages_answer_get_and_post_only(world, shared):
    client = signed_in(world.fr_caseworker)
    assert client.put(url_of("assurance_delete", shared)).status_code == 405
    assert Assurance.objects.filter(pk=shared.assurance.pk).exists()
