"""The web pages of exports and of the compliance record: who sees which export, asking for
one, watching it, taking it out (or not: expired 410, not ready 409), and the record's page
with the API's filters, its small cells and its charts.

ngo_fr (France) is the owner under test, ministry_de its partner in fr_de_group, ngo_it an
outsider.
"""

from __future__ import annotations

import base64
import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models.sharing import TLP, Distribution
from monitoring.models import Finding
from reporting.exports import services as exports
from reporting.models import Export
from reporting.record import compliance_record

from ..factories import CaseFactory, SubjectFactory
from ..reporting.test_compliance_record import check, make_case

PASSWORD = "correct horse battery staple"
PAGES = {
    "reporting:export_list",
    "reporting:export_create",
    "reporting:export_detail",
    "reporting:export_download",
    "reporting:record",
    "reporting:record_summary",
}
EVERYONE = [f"{org}_{role}" for org in ("fr", "de", "it")
            for role in ("caseworker", "liaison", "auditor", "admin")]
O = Finding.Outcome  # noqa: E741


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def cases(world):
    made = {}
    for name, owner, distribution, group, tlp in [
        ("org", world.ngo_fr, Distribution.ORGANISATION, None, TLP.AMBER),
        ("group", world.ngo_fr, Distribution.SHARING_GROUP, world.fr_de_group, TLP.AMBER),
        ("de_own", world.ministry_de, Distribution.ORGANISATION, None, TLP.AMBER),
    ]:
        subject = SubjectFactory(owner=owner, full_name=f"Person {name}")
        made[name] = CaseFactory(owner=owner, subject=subject, reference=f"X-{name}",
                                 distribution=distribution, sharing_group=group, tlp=tlp)
    return made


def _ask(user, **fields) -> Export:
    """An export asked through the page, which redirects to its detail page."""
    response = signed_in(user).post(reverse("reporting:export_create"), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    export = Export.objects.get(requester=user, pk=response["Location"].split("/")[-2])
    assert response["Location"] == reverse("reporting:export_detail", args=[export.pk])
    return export


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


# --- who reaches which page ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["reporting:export_list", "reporting:export_create",
                                  "reporting:record", "reporting:record_summary"])
@pytest.mark.parametrize("who", EVERYONE)
def test_every_member_has_the_export_pages_and_the_record(world, name, who):
    assert signed_in(getattr(world, who)).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in(world, name, client):
    export = Export.objects.create(requester=world.fr_caseworker, organisation=world.ngo_fr,
                                   kind="cases", format="csv")
    args = [export.pk] if name in ("reporting:export_detail",
                                   "reporting:export_download") else []
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# The requester and its organisation's auditors; no one else, not even its own admin.
SEES_CASEWORKERS_EXPORT = {"fr_caseworker": 200, "fr_auditor": 200}


@pytest.mark.parametrize("who", EVERYONE)
def test_an_export_is_seen_and_downloaded_by_its_requester_and_its_auditors(world, cases, who):
    export = _ask(world.fr_caseworker, kind="cases", format="csv")
    assert export.status == Export.Status.READY
    client = signed_in(getattr(world, who))
    expected = SEES_CASEWORKERS_EXPORT.get(who, 404)
    assert client.get(reverse("reporting:export_detail", args=[export.pk])).status_code \
        == expected
    download = client.get(reverse("reporting:export_download", args=[export.pk]))
    assert download.status_code == expected
    listed = client.get(reverse("reporting:export_list")).content.decode()
    assert (reverse("reporting:export_detail", args=[export.pk]) in listed) == (
        expected == 200)
    if expected == 200:
        body = _content(download)
        assert hashlib.sha256(body).hexdigest() == export.sha256
        assert download["X-TLP"] == "TLP:AMBER"
        assert b"X-org" in body and b"X-group" in body and b"X-de_own" not in body


def test_a_small_export_is_ready_at_once_with_its_facts(world, cases):
    export = _ask(world.fr_caseworker, kind="cases", format="json", status=["request_received"])
    assert export.filters == {"status": ["request_received"]}
    page = signed_in(world.fr_caseworker).get(
        reverse("reporting:export_detail", args=[export.pk])).content.decode()
    assert 'hx-trigger="every 2s"' not in page
    assert reverse("reporting:export_download", args=[export.pk]) in page
    assert export.sha256 in page and "TLP:AMBER" in page
    assert '<progress id="export-progress" max="100" value="100">' in page
    assert "verify_export" in page


def test_the_partner_exports_what_is_shared_and_never_identifiers(world, cases):
    export = _ask(world.de_caseworker, kind="cases", format="csv")
    body = _content(signed_in(world.de_caseworker).get(
        reverse("reporting:export_download", args=[export.pk])))
    assert b"X-group" in body and b"X-de_own" in body and b"X-org" not in body
    assert b"Person group" not in body


def test_an_export_with_identifiers_is_not_for_the_auditor(world, cases):
    export = _ask(world.fr_caseworker, kind="cases", format="csv", include_identifiers="on")
    assert export.include_identifiers
    owner = signed_in(world.fr_caseworker)
    body = _content(owner.get(reverse("reporting:export_download", args=[export.pk])))
    assert b"Person org" in body
    auditor = signed_in(world.fr_auditor)
    assert auditor.get(reverse("reporting:export_detail", args=[export.pk])).status_code == 404
    assert auditor.get(reverse("reporting:export_download",
                               args=[export.pk])).status_code == 404
    assert reverse("reporting:export_detail", args=[export.pk]) not in auditor.get(
        reverse("reporting:export_list")).content.decode()


@pytest.mark.parametrize("who", ["fr_auditor", "de_caseworker"])
def test_identifiers_are_offered_only_to_roles_that_see_them(world, cases, who):
    user = getattr(world, who)
    page = signed_in(user).get(reverse("reporting:export_create")).content.decode()
    assert ('name="include_identifiers"' in page) == (who == "de_caseworker")
    findings = signed_in(user).get(reverse("reporting:export_create") + "?kind=findings")
    assert 'name="include_identifiers"' not in findings.content.decode()
    # Sent anyway by the auditor, the field is not the form's: no identifiers leave.
    export = _ask(user, kind="cases", format="csv", include_identifiers="on")
    assert export.include_identifiers == (who == "de_caseworker")


def test_an_expired_export_answers_410(world, cases):
    export = _ask(world.fr_caseworker, kind="cases", format="csv")
    Export.objects.filter(pk=export.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = signed_in(world.fr_caseworker).get(
        reverse("reporting:export_download", args=[export.pk]))
    assert response.status_code == 410
    assert "expired" in response.content.decode()


def test_an_export_being_built_polls_and_answers_409(world):
    export = Export.objects.create(requester=world.fr_auditor, organisation=world.ngo_fr,
                                   kind="findings", format="xlsx", progress=40)
    client = signed_in(world.fr_auditor)
    url = reverse("reporting:export_detail", args=[export.pk])
    page = client.get(url).content.decode()
    assert f'hx-get="{url}" hx-trigger="every 2s"' in page
    assert f'<a href="{url}">Refresh</a>' in page
    assert 'value="40"' in page
    part = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert part.lstrip().startswith("<section") and "<html" not in part
    response = client.get(reverse("reporting:export_download", args=[export.pk]))
    assert response.status_code == 409
    assert "not ready" in response.content.decode()


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("fields, field", [
    ({"kind": "cases", "format": "pdf"}, "format"),
    ({"kind": "cases", "format": "csv", "status": "sleeping"}, "status"),
    ({"kind": "cases", "format": "csv", "requesting_state": "XX\x00"}, "requesting_state"),
    ({"kind": "compliance", "format": "pdf", "observed_after": "yesterday"}, "observed_after"),
    ({"kind": "compliance", "format": "csv", "group_by": "subject"}, "group_by"),
    ({"kind": "compliance", "format": "csv", "legal_instrument": "999999"}, "legal_instrument"),
    ({"kind": "findings", "format": "csv", "is_open": "perhaps"}, "is_open"),
])
def test_bad_export_requests_are_400_next_to_the_field(world, fields, field):
    response = signed_in(world.fr_auditor).post(reverse("reporting:export_create"), fields)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert not Export.objects.exists()


def test_an_unknown_kind_is_400_at_the_top(world):
    response = signed_in(world.fr_auditor).post(reverse("reporting:export_create"),
                                                {"kind": "subjects", "format": "csv"})
    assert response.status_code == 400
    assert 'class="errors error-summary"' in response.content.decode()
    assert not Export.objects.exists()


def test_a_service_error_on_a_filter_lands_next_to_it(world, monkeypatch):
    def refuse(**kwargs):
        raise ValidationError({"filters.status": ["This status is refused."],
                               "organisation": ["Not yours."]})

    monkeypatch.setattr(exports, "export_request", refuse)
    response = signed_in(world.fr_caseworker).post(
        reverse("reporting:export_create"),
        {"kind": "cases", "format": "csv", "status": "monitoring_active"})
    assert response.status_code == 400
    page = response.content.decode()
    assert '<p class="error" id="id_status_error">This status is refused.</p>' in page
    assert "Not yours." in page
    assert '<option value="monitoring_active" selected>' in page


def test_the_export_list_rejects_bad_filters(world):
    response = signed_in(world.fr_auditor).get(reverse("reporting:export_list"),
                                               {"status": "sleeping"})
    assert response.status_code == 400


def test_the_export_list_costs_the_same_queries_for_5_or_60(world):
    def make(n):
        Export.objects.bulk_create([
            Export(requester=world.fr_caseworker, organisation=world.ngo_fr, kind="cases",
                   format="csv", status=Export.Status.READY, sha256="ab" * 32)
            for _ in range(n)])

    def count() -> int:
        client = signed_in(world.fr_auditor)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("reporting:export_list")).status_code == 200
        return len(queries)

    make(5)
    few = count()
    make(55)
    assert count() == few


# --- the compliance record -------------------------------------------------------------------


def _cn_cases(world, n):
    """`n` cases to China; a cell of five or more is shown whatever its perturbation."""
    made = []
    for i in range(n):
        case = make_case(world.ngo_fr, surrender=datetime.date(2025, 1, 1 + i))
        check(case, 3 + i, {"no_torture": O.COMPLIED}, author=world.fr_caseworker)
        check(case, 30, {"no_torture": O.ACCESS_DENIED}, access="refused",
              author=world.fr_caseworker)
        made.append(case)
    return made


def test_a_small_cell_shows_fewer_than_three_and_nothing_else(world):
    _cn_cases(world, 2)
    response = signed_in(world.fr_auditor).get(reverse("reporting:record"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;3" in page and "Fewer than three cases" in page
    assert "Complied: " not in page
    # Nothing to plot: each chart says so instead.
    assert "data:image/svg+xml" not in page
    assert "nothing to plot" in page


@pytest.mark.usefixtures("exact_counts")
def test_the_record_shows_cells_and_charts_with_text_alternatives(world):
    _cn_cases(world, 3)
    response = signed_in(world.fr_auditor).get(
        reverse("reporting:record"), {"requesting_state": "CN", "group_by": "assurance_type"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "&lt;3" not in page
    assert "Complied: 3; Access denied: 3" in page
    assert page.count('<img src="data:image/svg+xml;base64,') == 3
    assert 'alt="Stacked bars of finding outcomes' in page
    assert '<option value="CN" selected>' in page
    assert '<option value="assurance_type" selected>' in page
    link = reverse("reporting:export_create") + (
        "?kind=compliance&amp;format=pdf&amp;requesting_state=CN&amp;group_by=assurance_type")
    assert link in page


def test_the_dashboard_fetches_the_record_summary_once_shown(world):
    _cn_cases(world, 5)
    auditor = signed_in(world.fr_auditor)
    dashboard = auditor.get("/").content.decode()
    summary_url = reverse("reporting:record_summary")
    # The dashboard itself does not count; without JavaScript it links to the record.
    assert f'hx-get="{summary_url}" hx-trigger="load"' in dashboard
    assert f'href="{reverse("reporting:record")}"' in dashboard
    assert '<th scope="row">CN</th>' not in dashboard
    summary = auditor.get(summary_url, headers={"HX-Request": "true"}).content.decode()
    assert '<th scope="row">CN</th>' in summary and "<html" not in summary
    cells = compliance_record(world.fr_auditor, group_by=("requesting_state",))
    assert f'<td class="num">{cells[0]["cases"]}</td>' in summary
    # Someone the cases were not shared with counts none of them.
    outsider = signed_in(world.it_auditor).get(summary_url).content.decode()
    assert '<th scope="row">CN</th>' not in outsider and "No findings to count yet" in outsider


def _chart_images(page: str) -> list[str]:
    marker = '<img src="data:image/svg+xml;base64,'
    return [base64.b64decode(part.split('"', 1)[0]).decode() for part in page.split(marker)[1:]]


def test_the_charts_label_in_the_page_language_with_text_the_browser_draws(world):
    _cn_cases(world, 5)
    auditor = signed_in(world.fr_auditor)
    english = _chart_images(auditor.get(reverse("reporting:record")).content.decode())
    assert len(english) == 3 and all("<text" in svg for svg in english)
    assert "Findings" in english[0] and "Résultats" not in english[0]
    # The same numbers drawn again are the same drawing; in French, French labels.
    assert _chart_images(auditor.get(reverse("reporting:record")).content.decode()) == english
    auditor.cookies["django_language"] = "fr"
    french = _chart_images(auditor.get(reverse("reporting:record")).content.decode())
    assert french != english and "Findings" not in french[0]


def test_the_record_link_prefills_the_pdf_export(world):
    response = signed_in(world.fr_auditor).get(
        reverse("reporting:export_create"),
        {"kind": "compliance", "format": "pdf", "requesting_state": "CN"})
    page = response.content.decode()
    assert '<option value="pdf" selected>' in page
    assert '<option value="CN" selected>' in page


def test_the_outsider_counts_only_what_reaches_it(world):
    _cn_cases(world, 5)
    page = signed_in(world.it_caseworker).get(reverse("reporting:record")).content.decode()
    assert "No findings to count" in page


@pytest.mark.parametrize("query, field", [
    ({"requesting_state": "XX"}, "requesting_state"),
    ({"requesting_state": "C\x00"}, "requesting_state"),
    ({"observed_after": "last week"}, "observed_after"),
    ({"legal_instrument": "abc"}, "legal_instrument"),
    ({"assurance_type": "everything"}, "assurance_type"),
    ({"group_by": "subject"}, "group_by"),
    ({"colour": "red"}, None),
])
def test_bad_record_filters_are_400_with_the_message(world, query, field):
    response = signed_in(world.fr_auditor).get(reverse("reporting:record"), query)
    assert response.status_code == 400
    page = response.content.decode()
    if field:
        assert f'id="id_{field}_error"' in page
    else:
        assert "Unknown field." in page
    assert "<table>" not in page


def test_the_pdf_report_of_the_record_is_asked_and_downloaded(world):
    _cn_cases(world, 5)
    export = _ask(world.fr_auditor, kind="compliance", format="pdf", requesting_state="CN",
                  observed_after="2025-01-01")
    assert export.status == Export.Status.READY
    assert export.filters == {"requesting_state": "CN", "observed_after": "2025-01-01"}
    download = signed_in(world.fr_auditor).get(
        reverse("reporting:export_download", args=[export.pk]))
    assert download.status_code == 200
    assert _content(download).startswith(b"%PDF")
