"""Bad references through the API: another organisation's record fails exactly like one that
does not exist, malformed and huge ids in URLs are 404, and a bad filter, page or ordering is a
400 naming the parameter (never a 500) that reveals no record."""

from __future__ import annotations

import uuid

import pytest

from cases.models.sharing import TLP, Distribution

from ..conftest import api_client
from ..factories import (
    CaseFactory,
    SubjectFactory,
)
from .test_bad_input import HUGE, assert_field_error, records, snapshot, write


@pytest.fixture
def rec(world):
    return records(world)


# --- another organisation's record fails exactly like one that does not exist ----------------

FOREIGN = [
    pytest.param("cases", "post", "subject", lambda r: str(r.it_subject.pk), id="case-subject"),
    pytest.param("cases", "patch", "subject", lambda r: str(r.it_subject.pk),
                 id="case-subject-patch"),
    pytest.param("cases", "post", "sharing_group", lambda r: r.it_group.pk,
                 id="case-sharing-group"),
    pytest.param("cases", "patch", "sharing_group", lambda r: r.it_group.pk,
                 id="case-sharing-group-patch"),
    pytest.param("assurances", "post", "case", lambda r: str(r.it_case.pk),
                 id="assurance-case"),
    pytest.param("proceedings", "post", "case", lambda r: str(r.it_case.pk),
                 id="proceeding-case"),
    pytest.param("cases", "post", "named_recipients", lambda r: ["it_caseworker"],
                 id="named-recipient"),
]


def _missing_like(value):
    if isinstance(value, list):
        return ["no_such_user"]
    if isinstance(value, int):
        return 2_000_000_000
    return str(uuid.UUID(int=12345))


@pytest.mark.parametrize(("endpoint", "method", "field", "foreign"), FOREIGN)
def test_another_organisations_record_fails_like_a_nonexistent_one(
    rec, endpoint, method, field, foreign
):
    foreign = foreign(rec)
    missing = _missing_like(foreign)
    extra = {"distribution": "sharing_group"} if field == "sharing_group" else {}
    if field == "named_recipients":
        extra = {"tlp": "red"}
    before = snapshot()

    refused = write(rec, endpoint, method, {field: foreign, **extra})
    absent = write(rec, endpoint, method, {field: missing, **extra})

    assert refused.status_code == absent.status_code == 400
    shown = str(foreign[0] if isinstance(foreign, list) else foreign)
    hidden = str(missing[0] if isinstance(missing, list) else missing)
    assert set(refused.json()) == set(absent.json()) == {field}
    assert refused.content.decode().replace(shown, "<id>") == absent.content.decode().replace(
        hidden, "<id>"
    )
    assert snapshot() == before




# --- URLs ----------------------------------------------------------------------------------

URL_IDS = [
    "not-a-uuid",
    "123e4567-e89b-12d3-a456-42661417400Z",
    "00000000-0000-0000-0000-000000000000",
    str(HUGE),
    "-1",
    "%00",
    "%F0%9F%92%A9",
    "1e3",
    "x" * 2000,
]
URL_TEMPLATES = [
    ("get", "/api/v1/cases/{}/"),
    ("get", "/api/v1/cases/{}/timeline/"),
    ("post", "/api/v1/cases/{}/transition/"),
    ("patch", "/api/v1/cases/{}/"),
    ("get", "/api/v1/subjects/{}/"),
    ("patch", "/api/v1/subjects/{}/"),
    ("get", "/api/v1/assurances/{}/"),
    ("delete", "/api/v1/assurances/{}/"),
    ("get", "/api/v1/proceedings/{}/"),
    ("patch", "/api/v1/proceedings/{}/"),
    ("get", "/api/v1/instruments/{}/"),
    ("get", "/api/v1/memberships/{}/"),
    ("patch", "/api/v1/memberships/{}/"),
    ("delete", "/api/v1/memberships/{}/"),
    ("get", "/api/v1/sharing-groups/{}/"),
    ("patch", "/api/v1/sharing-groups/{}/"),
    ("get", "/api/v1/audit-events/{}/"),
    ("get", "/api/v1/organisations/{}/"),
    ("get", "/api/v1/countries/{}/"),
]


@pytest.mark.parametrize(("method", "template"), URL_TEMPLATES,
                         ids=[f"{m}-{t}" for m, t in URL_TEMPLATES])
def test_malformed_and_huge_ids_in_urls_are_404(rec, method, template):
    client = api_client(rec.world.fr_admin)
    before = snapshot()
    for bad in URL_IDS:
        response = getattr(client, method)(template.format(bad), {"version": 1}, format="json")
        assert response.status_code == 404, (bad[:40], response.status_code,
                                              response.content[:300])
    assert snapshot() == before


# --- filters -------------------------------------------------------------------------------

BAD_FILTERS = [
    ("/api/v1/cases/?status=nonsense", "status"),
    ("/api/v1/cases/?status=request_received&status=nonsense", "status"),
    ("/api/v1/cases/?channel=teleportation", "channel"),
    ("/api/v1/cases/?tlp=purple", "tlp"),
    ("/api/v1/cases/?distribution=everyone", "distribution"),
    ("/api/v1/cases/?requesting_state=XX", "requesting_state"),
    ("/api/v1/cases/?requesting_state=%00", "requesting_state"),
    ("/api/v1/cases/?organisation=no-such-org", "organisation"),
    ("/api/v1/cases/?organisation=ngo%00fr", "organisation"),
    ("/api/v1/cases/?request_date_after=notadate", "request_date_after"),
    ("/api/v1/cases/?request_date_before=2026-02-30", "request_date_before"),
    ("/api/v1/cases/?surrender_date_after=2026-13-01", "surrender_date_after"),
    ("/api/v1/cases/?created_after=yesterday", "created_after"),
    ("/api/v1/cases/?subject=not-a-uuid", "subject"),
    ("/api/v1/cases/?subject={it_subject}", "subject"),
    ("/api/v1/cases/?subject={nobody}", "subject"),
    ("/api/v1/cases/?subject=%00", "subject"),
    ("/api/v1/cases/?legal_instrument=abc", "legal_instrument"),
    ("/api/v1/cases/?legal_instrument=" + str(HUGE), "legal_instrument"),
    ("/api/v1/cases/?q=" + "x" * 201, "q"),
    ("/api/v1/cases/?q=%00", "q"),
    ("/api/v1/subjects/?refugee_status=stateless", "refugee_status"),
    ("/api/v1/subjects/?nationality=XX", "nationality"),
    ("/api/v1/subjects/?reprisal_risk=perhaps", "reprisal_risk"),
    ("/api/v1/subjects/?q=%00", "q"),
    ("/api/v1/assurances/?case=not-a-uuid", "case"),
    ("/api/v1/assurances/?case={it_case}", "case"),
    ("/api/v1/assurances/?type=no_prison", "type"),
    ("/api/v1/assurances/?given_on_after=notadate", "given_on_after"),
    ("/api/v1/assurances/?binding=perhaps", "binding"),
    ("/api/v1/proceedings/?case={it_case}", "case"),
    ("/api/v1/proceedings/?kind=duel", "kind"),
    ("/api/v1/proceedings/?date_before=2026-02-30", "date_before"),
    ("/api/v1/memberships/?role=emperor", "role"),
    ("/api/v1/memberships/?organisation=no-such-org", "organisation"),
    ("/api/v1/memberships/?organisation=%00", "organisation"),
    ("/api/v1/audit-events/?organisation=%00", "organisation"),
    ("/api/v1/audit-events/?actor=%00", "actor"),
    ("/api/v1/assurances/?case=%00", "case"),
    ("/api/v1/audit-events/?action=explode", "action"),
    ("/api/v1/audit-events/?at_after=notadate", "at_after"),
    ("/api/v1/audit-events/?object_id=%00", "object_id"),
    ("/api/v1/instruments/?party=FRA", "party"),
    ("/api/v1/instruments/?status=lost", "status"),
]


@pytest.mark.parametrize(("url", "field"), BAD_FILTERS, ids=[u[8:60] for u, _f in BAD_FILTERS])
def test_a_bad_filter_value_is_a_400_naming_the_filter(rec, url, field):
    url = url.format(it_subject=rec.it_subject.pk, it_case=rec.it_case.pk,
                     nobody=uuid.UUID(int=99))
    response = api_client(rec.world.fr_admin).get(url)
    assert_field_error(response, field)


@pytest.mark.parametrize("query", ["status=nonsense", "subject=not-a-uuid",
                                   "request_date_after=notadate"])
def test_a_bad_filter_reveals_no_record(rec, query):
    response = api_client(rec.world.fr_admin).get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert str(rec.case.pk) not in response.content.decode()
    assert rec.case.reference not in response.content.decode()


PAGING = [
    "/api/v1/cases/?cursor=garbage",
    "/api/v1/cases/?cursor=%00",
    "/api/v1/cases/?page_size=abc",
    "/api/v1/cases/?page_size=" + str(HUGE),
    "/api/v1/cases/?page_size=-5",
    "/api/v1/cases/?ordering=nonsense",
    "/api/v1/cases/?ordering=subject__full_name",
    "/api/v1/subjects/?ordering=-full_name",
]


@pytest.mark.parametrize("url", PAGING)
def test_bad_paging_and_ordering_never_fail_the_server(rec, url):
    response = api_client(rec.world.fr_caseworker).get(url)
    # A cursor DRF reads past (it drops what is not base64) gives the first page.
    assert response.status_code in (200, 400), response.content[:300]


def test_ordering_by_an_identifying_field_is_refused(world):
    # Sorting by name would let a partner infer names from the order.
    for name in ("Zed", "Abe", "Mia"):
        CaseFactory(owner=world.ngo_fr, subject=SubjectFactory(owner=world.ngo_fr,
                                                               full_name=name),
                    distribution=Distribution.NETWORK, tlp=TLP.GREEN)
    client = api_client(world.it_caseworker)
    by_name = client.get("/api/v1/cases/?ordering=subject__full_name")
    assert by_name.status_code == 400
    assert list(by_name.json()) == ["ordering"]
