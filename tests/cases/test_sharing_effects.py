"""What sharing does (DESIGN.md §4): widening and withdrawing take effect on the next request and
are audited, a partner removed from the group loses the group's cases at once, and outside the
owner no answer names the person behind a case, in the API or the browsable API."""

from __future__ import annotations

import datetime
import json

import pytest
from rest_framework.test import APIClient

from cases.models import AuditEvent, Offence
from cases.models.sharing import TLP

from ..conftest import api_client
from ..factories import (
    AssuranceFactory,
    ProceedingFactory,
    SubjectFactory,
)
from .test_sharing_rules import (
    AGG,
    GROUP,
    NET,
    ORG,
    _pair_id,
    make_case,
    new_case_body,
    sees,
    sharing,
)

# --- widening and withdrawing -------------------------------------------------------------------

# (from, to, audit action, who of ngo-fr's partners sees it afterwards)
CHANGES = [
    ((TLP.AMBER, ORG), (TLP.AMBER, GROUP), AuditEvent.Action.SHARE, {"de"}),
    ((TLP.GREEN, ORG), (TLP.GREEN, NET), AuditEvent.Action.SHARE, {"de", "it"}),
    ((TLP.GREEN, GROUP), (TLP.GREEN, NET), AuditEvent.Action.SHARE, {"de", "it"}),
    ((TLP.AMBER, AGG), (TLP.AMBER, GROUP), AuditEvent.Action.SHARE, {"de"}),
    ((TLP.RED, ORG), (TLP.AMBER, ORG), AuditEvent.Action.SHARE, set()),
    ((TLP.GREEN, NET), (TLP.GREEN, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.GREEN, NET), (TLP.GREEN, GROUP), AuditEvent.Action.WITHDRAW, {"de"}),
    ((TLP.GREEN, NET), (TLP.GREEN, AGG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.GREEN, NET), (TLP.RED, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, GROUP), (TLP.AMBER, ORG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, GROUP), (TLP.AMBER_STRICT, AGG), AuditEvent.Action.WITHDRAW, set()),
    ((TLP.AMBER, ORG), (TLP.RED, ORG), AuditEvent.Action.WITHDRAW, set()),
]
REACH = {ORG: set(), AGG: set(), GROUP: {"de"}, NET: {"de", "it"}}


@pytest.mark.parametrize(("frm", "to", "action", "after"), CHANGES,
                         ids=[f"{_pair_id(f)}->{_pair_id(t)}" for f, t, _a, _s in CHANGES])
def test_sharing_changes_take_effect_at_once_and_are_audited(world, frm, to, action, after):
    case = make_case(world, *frm)
    partners = {"de": world.de_caseworker, "it": world.it_caseworker}
    for key, user in partners.items():
        assert sees(user, case) is (key in REACH[frm[1]])
    assert sees(world.fr_admin, case) is (frm[0] != TLP.RED)
    events_before = set(AuditEvent.objects.values_list("seq", flat=True))

    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/", {**sharing(world, *to), "version": 1}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert sees(world.fr_admin, case) is (to[0] != TLP.RED)
    for key, user in partners.items():
        assert sees(user, case) is (key in after), key
        if key not in after:
            client = api_client(user)
            assert client.get(f"/api/v1/cases/{case.pk}/timeline/").status_code == 404
            assert client.get(f"/api/v1/subjects/{case.subject_id}/").status_code == 404
    new = AuditEvent.objects.exclude(seq__in=events_before).filter(object_id=str(case.pk))
    sharing_events = [e for e in new if e.action in (AuditEvent.Action.SHARE,
                                                     AuditEvent.Action.WITHDRAW)]
    assert [e.action for e in sharing_events] == [action]
    [event] = sharing_events
    assert event.organisation_id == world.ngo_fr.pk
    assert event.actor_id == world.fr_caseworker.pk
    assert event.detail["from"]["distribution"] == frm[1]
    assert event.detail["to"]["distribution"] == to[1]
    assert event.detail["to"]["tlp"] == to[0]


@pytest.mark.parametrize(("tlp", "distribution"), [(TLP.AMBER, GROUP), (TLP.GREEN, NET)],
                         ids=_pair_id)
def test_sharing_on_create_is_audited(world, tlp, distribution):
    response = api_client(world.fr_caseworker).post(
        "/api/v1/cases/", new_case_body(world, **sharing(world, tlp, distribution)),
        format="json",
    )
    assert response.status_code == 201
    actions = list(AuditEvent.objects.filter(object_id=response.json()["id"]).order_by("seq")
                   .values_list("action", flat=True))
    assert actions == [AuditEvent.Action.CREATE, AuditEvent.Action.SHARE]


def test_an_edit_that_leaves_the_sharing_alone_writes_no_sharing_event(world):
    case = make_case(world, TLP.AMBER, GROUP)
    response = api_client(world.fr_caseworker).patch(
        f"/api/v1/cases/{case.pk}/",
        {**sharing(world, TLP.AMBER, GROUP), "legal_basis_note": "x", "version": 1},
        format="json",
    )
    assert response.status_code == 200
    actions = set(AuditEvent.objects.filter(object_id=str(case.pk)).values_list("action",
                                                                              flat=True))
    assert actions == {AuditEvent.Action.UPDATE}


def test_removing_a_partner_from_the_group_withdraws_its_cases_at_once(world):
    case = make_case(world, TLP.AMBER, GROUP)
    assert sees(world.de_liaison, case)

    response = api_client(world.fr_admin).patch(
        f"/api/v1/sharing-groups/{world.fr_de_group.pk}/",
        {"members": [], "version": world.fr_de_group.version}, format="json",
    )

    assert response.status_code == 200, response.json()
    assert not sees(world.de_liaison, case)
    withdrawn = AuditEvent.objects.get(object_type="sharinggroup",
                                       object_id=str(world.fr_de_group.pk),
                                       action=AuditEvent.Action.WITHDRAW)
    assert withdrawn.detail == {"removed": ["ministry-de"]}


# --- what leaves the owner -------------------------------------------------------------------

PLANTED = {
    "full_name": "Plantedfullname Qx",
    "other_names": "Plantedothername Qx",
    "contacts": "Plantedcontact +33 6 12 34 56 78",
    "notes": "Plantedsubjectnote",
    "legal_basis_note": "Plantedlegalbasis",
    "interpol_reference": "PLANTEDIREF-99",
    "offence": "Plantedoffence",
    "proceeding_description": "Plantedprocdescription",
    "proceeding_outcome": "Plantedprocoutcome",
    "transition_note": "Plantedtransitionnote",
    "date_of_birth": "1961-07-19",
}


@pytest.fixture
def planted(world):
    def plant(distribution):
        subject = SubjectFactory(
            owner=world.ngo_fr, full_name=PLANTED["full_name"],
            other_names=PLANTED["other_names"], contacts=PLANTED["contacts"],
            notes=PLANTED["notes"], date_of_birth=datetime.date(1961, 7, 19),
        )
        case = make_case(
            world, TLP.GREEN, distribution, subject=subject,
            legal_basis_note=PLANTED["legal_basis_note"],
            interpol_reference=PLANTED["interpol_reference"],
        )
        Offence.objects.create(case=case, description=PLANTED["offence"], category="other")
        proceeding = ProceedingFactory(case=case, description=PLANTED["proceeding_description"],
                                       outcome=PLANTED["proceeding_outcome"],
                                       date=datetime.date(2026, 2, 1))
        assurance = AssuranceFactory(case=case)
        moved = api_client(world.fr_caseworker).post(
            f"/api/v1/cases/{case.pk}/transition/",
            {"to": "judicial_phase", "date": "2026-02-02", "note": PLANTED["transition_note"]},
            format="json",
        )
        assert moved.status_code == 200
        return case, subject, proceeding, assurance

    return plant


LEAK_PATHS = [
    "/api/v1/cases/",
    "/api/v1/cases/{case}/",
    "/api/v1/cases/{case}/timeline/",
    "/api/v1/cases/?subject={subject}",
    "/api/v1/cases/?q={subject_ref}",
    "/api/v1/subjects/",
    "/api/v1/subjects/{subject}/",
    "/api/v1/proceedings/",
    "/api/v1/proceedings/{proceeding}/",
    "/api/v1/proceedings/?case={case}",
    "/api/v1/assurances/",
    "/api/v1/assurances/{assurance}/",
]
# Searches by what only the owner knows: they find nothing for anyone else.
LEAK_SEARCHES = [
    "/api/v1/cases/?q={full_name}",
    "/api/v1/cases/?q=Plantedfull",
    "/api/v1/cases/?q={other_names}",
    "/api/v1/subjects/?q={full_name}",
    "/api/v1/subjects/?q=plantedfullname",
    "/api/v1/subjects/?q={other_names}",
]
PARTNERS = [
    pytest.param(GROUP, f"de_{role}", id=f"group-de_{role}")
    for role in ("caseworker", "liaison", "auditor", "admin")
] + [
    pytest.param(NET, f"{org}_{role}", id=f"network-{org}_{role}")
    for org in ("de", "it") for role in ("caseworker", "liaison", "auditor", "admin")
]


def _assert_nothing_planted(content: bytes, where: str) -> None:
    text = content.decode()
    for name, value in PLANTED.items():
        assert value not in text, f"{name} leaks through {where}"
        assert value.lower() not in text.lower(), f"{name} leaks through {where}"
    assert "Planted" not in text, where
    # The birth date in any rendering (a bare "1961" could be an id).
    for rendering in ("1961-07-19", "19/07/1961", "07/19/1961", "19.07.1961", "July 19, 1961"):
        assert rendering not in text, f"date of birth leaks through {where}"


@pytest.mark.parametrize(("distribution", "who"), PARTNERS)
def test_outside_the_owner_no_response_names_the_person(world, planted, distribution, who):
    case, subject, proceeding, assurance = planted(distribution)
    client = api_client(getattr(world, who))
    values = {"case": case.pk, "subject": subject.pk, "proceeding": proceeding.pk,
              "assurance": assurance.pk, "subject_ref": subject.reference,
              "full_name": PLANTED["full_name"], "other_names": PLANTED["other_names"]}

    for template in LEAK_PATHS:
        path = template.format(**values)
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        # The record is there (so the check means something), without what names the person.
        assert str(case.pk) in response.content.decode() or (
            subject.reference in response.content.decode()
        ) or str(proceeding.pk) in response.content.decode(), path
        _assert_nothing_planted(response.content, path)

    for template in LEAK_SEARCHES:
        path = template.format(**values)
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.json()["results"] == [], path


def test_the_owner_finds_the_person_by_name(world, planted):
    case, subject, _proceeding, _assurance = planted(NET)
    client = api_client(world.fr_caseworker)
    found = client.get(f"/api/v1/cases/?q={PLANTED['full_name']}").json()["results"]
    assert [c["id"] for c in found] == [str(case.pk)]
    shown = client.get(f"/api/v1/subjects/{subject.pk}/").json()
    assert shown["full_name"] == PLANTED["full_name"]
    detail = client.get(f"/api/v1/cases/{case.pk}/").json()
    assert detail["legal_basis_note"] == PLANTED["legal_basis_note"]
    assert detail["interpol_reference"] == PLANTED["interpol_reference"]
    timeline = json.dumps(client.get(f"/api/v1/cases/{case.pk}/timeline/").json())
    assert PLANTED["transition_note"] in timeline
    assert PLANTED["proceeding_description"] in timeline


HTML_PATHS = ["/api/v1/cases/{case}/", "/api/v1/cases/", "/api/v1/subjects/{subject}/",
              "/api/v1/proceedings/{proceeding}/", "/api/v1/cases/{case}/timeline/"]


@pytest.mark.parametrize("path", HTML_PATHS)
def test_outside_the_owner_the_browsable_api_names_no_one_either(world, planted, path):
    case, subject, proceeding, _assurance = planted(NET)
    client = APIClient()
    client.force_login(world.it_admin)

    response = client.get(path.format(case=case.pk, subject=subject.pk,
                                      proceeding=proceeding.pk), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    _assert_nothing_planted(response.content, path)


def test_the_owners_auditor_sees_the_pseudonym_not_the_person(world, planted):
    _case, subject, _proceeding, _assurance = planted(ORG)
    client = api_client(world.fr_auditor)
    for path in (f"/api/v1/subjects/{subject.pk}/", "/api/v1/subjects/"):
        response = client.get(path)
        assert response.status_code == 200
        assert subject.reference in response.content.decode()
        for name in ("full_name", "other_names", "contacts", "notes"):
            assert PLANTED[name] not in response.content.decode(), (path, name)
        assert "1961-07-19" not in response.content.decode()
    assert client.get(f"/api/v1/subjects/?q={PLANTED['full_name']}").json()["results"] == []
