"""The case register pages: who reaches each page, what each sees, the list and the case page
(the forms are in test_web_case_forms.py and test_web_record_forms.py). A case of ngo_fr is
shared with ministry_de through their sharing group; ngo_it is an outsider."""

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
    "cases:subject_erase",
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


def shared_case(world):
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


@pytest.fixture
def shared(world):
    return shared_case(world)


def url_of(name: str, s) -> str:
    target = {
        "case_list": None, "case_create": None, "subject_create": None,
        "subject_options": None,
        "case_detail": s.case, "case_edit": s.case, "case_transition": s.case,
        "assurance_create": s.case, "proceeding_create": s.case,
        "subject_detail": s.subject, "subject_edit": s.subject, "subject_erase": s.subject,
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
    # Erasing identifiers is the owner's admins' alone.
    "subject_erase": {"fr_caseworker": 403, "fr_liaison": 403, "fr_auditor": 403,
                      "fr_admin": 200, "de_caseworker": 403, "de_admin": 403,
                      "it_caseworker": 404},
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
          "subject_erase",
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
    # The case's own recording is in its timeline.
    assert "Recorded in the register" in page[page.index('id="timeline-heading"'):]
