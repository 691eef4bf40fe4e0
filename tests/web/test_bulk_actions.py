"""Changing or exporting the cases ticked on the case list: all or nothing, each case read
through the policy, each change through `case_update` (one audit event per case), a case the
user may not change refused for the whole request, and the export holding exactly the cases
ticked."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import AuditEvent, Case
from cases.models.sharing import TLP, Distribution

from ..factories import CaseFactory, UserFactory
from .test_web_monitoring import signed_in

PAGES = {"cases:case_bulk_change", "reporting:selected_cases_export"}
BULK = reverse("cases:case_bulk_change")
EXPORT = reverse("reporting:selected_cases_export")


def fr_cases(world, n, prefix="FR-B", **fields):
    fields = {"tlp": TLP.GREEN, **fields}
    return [CaseFactory(owner=world.ngo_fr, reference=f"{prefix}-{i:03d}", **fields)
            for i in range(n)]


def assign(client, cases, caseworker, **extra):
    return client.post(BULK, {"bulk-action": "assign", "bulk-caseworker": caseworker.pk,
                              "bulk-case": [c.pk for c in cases], **extra})


def state(cases) -> list[tuple]:
    return list(Case.objects.filter(pk__in=[c.pk for c in cases]).order_by("reference")
                .values_list("reference", "version", "caseworker_id", "tlp", "distribution"))


def updates(cases) -> int:
    return AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE,
                                     object_id__in=[str(c.pk) for c in cases]).count()


def test_the_list_has_a_labelled_box_per_case_and_one_for_the_page(world):
    cases = fr_cases(world, 2)
    body = signed_in(world.fr_caseworker).get(reverse("cases:case_list")).content.decode()

    for case in cases:
        assert f'id="select-{case.pk}"' in body
        assert f'<label for="select-{case.pk}" class="visually-hidden">Select case ' \
               f'{case.reference}</label>' in body
        assert f'name="bulk-page_case" value="{case.pk}"' in body
    assert 'name="bulk-all_on_page"' in body
    assert f'action="{BULK}"' in body and f'formaction="{EXPORT}"' in body


def test_an_auditor_gets_no_form_to_change_cases(world):
    fr_cases(world, 1)
    body = signed_in(world.fr_auditor).get(reverse("cases:case_list")).content.decode()

    assert 'name="bulk-action"' not in body


EVERYONE = [f"{org}_{role}" for org in ("fr", "de", "it")
            for role in ("caseworker", "liaison", "auditor", "admin")]
# On a case of ngo_fr kept within it: who may change it, who sees it only, who does not.
MAY_CHANGE = {"fr_caseworker": 302, "fr_admin": 302, "fr_liaison": 403, "fr_auditor": 403}
MAY_EXPORT = {"fr_caseworker": 200, "fr_admin": 200, "fr_liaison": 200, "fr_auditor": 200}


@pytest.mark.parametrize("who", EVERYONE)
def test_who_reaches_each_bulk_page(world, who):
    case = fr_cases(world, 1)[0]
    client = signed_in(getattr(world, who))

    change = assign(client, [case], world.fr_liaison)
    export = client.post(EXPORT, {"bulk-case": [case.pk]})

    assert change.status_code == MAY_CHANGE.get(who, 404)
    assert export.status_code == MAY_EXPORT.get(who, 404)
    assert updates([case]) == (1 if change.status_code == 302 else 0)


def test_assigning_changes_every_selected_case_with_an_event_each(world):
    cases = fr_cases(world, 3)
    left_alone = CaseFactory(owner=world.ngo_fr, reference="FR-B-999")
    client = signed_in(world.fr_caseworker)

    response = assign(client, cases, world.fr_liaison, **{"bulk-next": "/cases/?sort=reference"})

    assert response.status_code == 302 and response["Location"] == "/cases/?sort=reference"
    assert [(ref, version, worker) for ref, version, worker, *_ in state(cases)] == [
        (c.reference, 2, world.fr_liaison.pk) for c in cases]
    events = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE,
                                       object_id__in=[str(c.pk) for c in cases])
    assert sorted(e.object_id for e in events) == sorted(str(c.pk) for c in cases)
    assert all(e.changed_fields == ["caseworker"] for e in events)
    assert all(e.actor_id == world.fr_caseworker.pk for e in events)
    left_alone.refresh_from_db()
    assert left_alone.version == 1


def test_all_on_this_page_selects_the_cases_shown(world):
    cases = fr_cases(world, 2)
    client = signed_in(world.fr_admin)

    response = client.post(BULK, {"bulk-action": "assign", "bulk-caseworker": world.fr_admin.pk,
                                  "bulk-all_on_page": "on",
                                  "bulk-page_case": [c.pk for c in cases]})

    assert response.status_code == 302
    assert {worker for _, _, worker, *_ in state(cases)} == {world.fr_admin.pk}


@pytest.mark.parametrize("other", ["shared", "outside"])
def test_a_case_of_another_organisation_changes_nothing(world, other):
    """Even a case shared with the user: seen, not the user's to change (403); one out of
    sight is a 404."""
    cases = fr_cases(world, 2)
    foreign = (CaseFactory(owner=world.ministry_de, reference="DE-B-001", tlp=TLP.GREEN,
                           distribution=Distribution.SHARING_GROUP,
                           sharing_group=world.fr_de_group)
               if other == "shared" else CaseFactory(owner=world.ngo_it, reference="IT-B-001"))
    before = state([*cases, foreign])
    client = signed_in(world.fr_caseworker)

    response = assign(client, [*cases, foreign], world.fr_liaison)

    assert response.status_code == (403 if other == "shared" else 404)
    assert state([*cases, foreign]) == before
    assert updates([*cases, foreign]) == 0


def test_a_role_that_may_not_change_cases_changes_nothing(world):
    cases = fr_cases(world, 2)
    before = state(cases)

    response = assign(signed_in(world.fr_auditor), cases, world.fr_liaison)

    assert response.status_code == 403
    assert state(cases) == before


def test_a_distribution_over_the_labels_ceiling_changes_nothing_and_names_the_case(world):
    """AMBER+STRICT stays with the owner: the case shared with a group cannot take it, so the
    other case, which could, keeps its label too."""
    fits = CaseFactory(owner=world.ngo_fr, reference="FR-FITS-1", tlp=TLP.GREEN)
    over = CaseFactory(owner=world.ngo_fr, reference="FR-OVER-1", tlp=TLP.GREEN,
                       distribution=Distribution.SHARING_GROUP, sharing_group=world.fr_de_group)
    before = state([fits, over])
    client = signed_in(world.fr_caseworker)

    response = client.post(BULK, {"bulk-action": "sharing", "bulk-tlp": TLP.AMBER_STRICT,
                                  "bulk-case": [fits.pk, over.pk]})

    assert response.status_code == 400
    body = response.content.decode()
    assert "FR-OVER-1: TLP:AMBER+STRICT allows at most these distributions" in body
    assert "FR-FITS-1:" not in body
    assert state([fits, over]) == before
    assert updates([fits, over]) == 0
    # The form comes back with the selection, ready to be sent again.
    assert f'name="bulk-case" value="{over.pk}"' in body


def test_changing_label_and_distribution_of_the_selected(world):
    cases = fr_cases(world, 2, distribution=Distribution.ORGANISATION)

    response = signed_in(world.fr_caseworker).post(BULK, {
        "bulk-action": "sharing", "bulk-tlp": TLP.AMBER, "bulk-distribution": "aggregate_only",
        "bulk-case": [c.pk for c in cases]})

    assert response.status_code == 302
    assert [row[3:] for row in state(cases)] == [(TLP.AMBER, "aggregate_only")] * 2
    assert updates(cases) == 2


@pytest.mark.parametrize(("data", "message"), [
    ({"bulk-action": "assign"}, "Select at least one case."),
    ({"bulk-action": "assign", "bulk-case": "not-a-case"},
     "The selection names no case of the list."),
    ({"bulk-action": "sharing", "bulk-case": "SELECTED"},
     "Choose a label, a distribution, or both."),
    ({"bulk-action": "assign", "bulk-case": "SELECTED"}, "Choose the caseworker to assign."),
])
def test_an_incomplete_request_is_a_400_saying_why(world, data, message):
    case = fr_cases(world, 1)[0]
    data = {k: (str(case.pk) if v == "SELECTED" else v) for k, v in data.items()}

    response = signed_in(world.fr_caseworker).post(BULK, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert state([case])[0][1] == 1


def test_a_caseworker_of_another_organisation_cannot_be_assigned(world):
    cases = fr_cases(world, 1)

    response = assign(signed_in(world.fr_caseworker), cases, world.de_caseworker)

    assert response.status_code == 400
    assert state(cases)[0][2] is None


def test_bulk_pages_take_posts_only_and_signed_in_users(world, client):
    assert signed_in(world.fr_caseworker).get(BULK).status_code == 405
    assert signed_in(world.fr_caseworker).get(EXPORT).status_code == 405
    for url in (BULK, EXPORT):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(
            "/accounts/login/")


def _count(client, cases, caseworker) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert assign(client, cases, caseworker).status_code == 302
    return len(ctx.captured_queries)


# Sign-in, session and roles, the form's choices, the cases in one query; then per case the
# service's own checks, the versioned update and its audit event.
PER_CASE = 12
FIXED = 20


def test_the_queries_of_a_bulk_change_are_bounded_per_case(world, django_assert_max_num_queries):
    few, many = fr_cases(world, 2), fr_cases(world, 10, prefix="FR-M")
    client = signed_in(world.fr_caseworker)

    with django_assert_max_num_queries(FIXED + PER_CASE * 2):
        assert assign(client, few, world.fr_liaison).status_code == 302
    with django_assert_max_num_queries(FIXED + PER_CASE * 10):
        assert assign(client, many, world.fr_liaison).status_code == 302
    # Each further case costs the same, whatever the number selected.
    per_case = (_count(client, many, world.fr_admin) - _count(client, few, world.fr_admin)) / 8
    assert per_case <= PER_CASE


# --- the export of the selected cases --------------------------------------------------------


def exported(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    text = b"".join(response.streaming_content if response.streaming else
                    [response.content]).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_holds_exactly_the_selected_cases(world):
    cases = fr_cases(world, 4)
    shared = CaseFactory(owner=world.ministry_de, reference="DE-B-001", tlp=TLP.GREEN,
                         distribution=Distribution.SHARING_GROUP, sharing_group=world.fr_de_group)
    selected = [cases[0], cases[2], shared]
    client = signed_in(world.fr_caseworker)

    response = client.post(EXPORT, {"bulk-case": [c.pk for c in selected]})

    rows = exported(response)
    assert sorted(r["reference"] for r in rows) == sorted(c.reference for c in selected)
    assert response["Content-Type"].startswith("text/csv")
    assert response["X-TLP"] == "TLP:GREEN"
    # What the owner keeps stays with it, as in every export.
    de_row = next(r for r in rows if r["reference"] == "DE-B-001")
    assert de_row["legal_basis_note"] == "" and de_row["interpol_reference"] == ""
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.organisation_id == world.ngo_fr.pk
    assert event.detail["rows"] == 3 and event.detail["sha256"] == response["X-Content-SHA256"]


def test_the_export_of_a_case_out_of_sight_is_a_404(world):
    cases = fr_cases(world, 1)
    outside = CaseFactory(owner=world.ngo_it, reference="IT-B-001")

    response = signed_in(world.fr_caseworker).post(
        EXPORT, {"bulk-case": [cases[0].pk, outside.pk]})

    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_red_cases_never_leave_in_bulk(world):
    red = CaseFactory(owner=world.ngo_fr, reference="FR-RED-1", tlp=TLP.RED)
    red.named_recipients.add(world.fr_caseworker)
    green = fr_cases(world, 1)[0]

    response = signed_in(world.fr_caseworker).post(EXPORT, {"bulk-case": [red.pk, green.pk]})

    assert response.status_code == 400
    assert "TLP:RED cases never leave in bulk: FR-RED-1." in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_someone_of_no_organisation_exports_nothing(world):
    cases = fr_cases(world, 1)
    nobody = UserFactory(username="no_organisation")

    response = signed_in(nobody).post(EXPORT, {"bulk-case": [cases[0].pk]})

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()
