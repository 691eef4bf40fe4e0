"""The OpenAPI schema says what the API does: names and descriptions for its users, every answer
it may give, and the fields a reader may or may not get."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.core.management import call_command

from cases.models import Subject
from cases.models.sharing import TLP, Distribution

from .conftest import api_client
from .factories import CaseFactory, SubjectFactory


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


def test_the_schema_is_drawn_without_a_warning():
    # A warning is a guess: a type not resolved (shown as a string), a choice set named twice.
    call_command("spectacular", "--format", "openapi-json", "--fail-on-warn",
                 stdout=io.StringIO())


def components(schema) -> dict:
    return schema["components"]["schemas"]


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield method.upper(), path, operation


def test_component_names_have_no_doubled_suffix(schema):
    doubled = [n for n in components(schema)
               if re.search(r"(Request|Input)(Request)$|RequestRequest|[0-9a-f]{3}Enum$", n)]
    assert doubled == []
    assert {"ExportRequest", "TokenRequest", "ReportRequest"} <= set(components(schema))


def test_component_descriptions_are_for_api_users(schema):
    internal = ("Rejects fields", "Drops `Meta", "Meta.", "create_only_fields", "Every endpoint")
    leaked = {name: c["description"] for name, c in components(schema).items()
              if any(marker in c.get("description", "") for marker in internal)}
    assert leaked == {}
    described = [description for _m, _p, o in operations(schema)
                 if (description := o.get("description", ""))]
    assert not [d for d in described if any(marker in d for marker in internal)]


def test_a_closure_reason_may_be_empty(schema):
    closure = components(schema)["Case"]["properties"]["closure_reason"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in closure["oneOf"]


@pytest.mark.parametrize("path", ["/api/v1/cases/{id}/timeline/",
                                  "/api/v1/findings/{id}/comments/"])
def test_lists_under_one_record_are_plain_lists_without_list_parameters(schema, path):
    operation = schema["paths"][path]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["type"] == (
        "array")
    assert operation.get("parameters", []) == [
        p for p in operation.get("parameters", []) if p["in"] == "path"]


def test_a_record_cell_counts_cases_as_a_number_or_a_small_cell(schema):
    cases = components(schema)["RecordCell"]["properties"]["cases"]
    assert cases["oneOf"] == [{"type": "integer", "minimum": 3},
                              {"type": "string", "enum": ["<3"]}]


@pytest.mark.parametrize(("component", "withheld"), [
    ("Subject", set(Subject.IDENTIFYING_FIELDS)),
    ("Case", {"legal_basis_note", "interpol_reference", "named_recipients"}),
    ("Offence", {"description", "max_penalty"}),
    ("Finding", {"evidence_summary"}),
    ("CheckReport", {"narrative", "allegations", "facility"}),
    ("ProceedingEvent", {"description", "outcome"}),
    ("FollowUp", {"assignee", "note"}),
])
def test_fields_some_readers_do_not_get_are_optional_in_answers(schema, component, withheld):
    answer = components(schema)[component]
    assert withheld <= set(answer["properties"])
    assert not withheld & set(answer.get("required", ()))


def test_create_only_fields_are_not_offered_to_an_update(schema):
    patch = components(schema)["PatchedCaseRequest"]["properties"]
    assert "organisation" not in patch and "status" not in patch
    assert components(schema)["CaseRequest"]["properties"]["status"] == {
        "$ref": "#/components/schemas/OpeningCaseStatusEnum"}
    assert components(schema)["OpeningCaseStatusEnum"]["enum"] == [
        "request_received", "provisional_arrest"]


def test_a_follow_up_is_read_in_any_status_and_only_cancelled_by_hand(schema):
    assert "status" not in components(schema)["FollowUpRequest"]["properties"]
    written = components(schema)["PatchedFollowUpRequest"]["properties"]["status"]
    assert written["allOf"] == [{"$ref": "#/components/schemas/WritableFollowUpStatusEnum"}]
    assert components(schema)["FollowUp"]["properties"]["status"]["allOf"] == [
        {"$ref": "#/components/schemas/FollowUpStatusEnum"}]


def test_every_operation_documents_its_errors(schema):
    missing = []
    for method, path, operation in operations(schema):
        expected = {"400"} if method == "DELETE" or operation.get("requestBody") or any(
            p["in"] == "query" for p in operation.get("parameters", ())) else set()
        if path != "/api/v1/auth/token/":
            expected |= {"401", "403"}
        if "{" in path:
            expected.add("404")
        if method == "PATCH":
            expected.add("409")
        lacking = expected - set(operation["responses"])
        if lacking:
            missing.append((method, path, sorted(lacking)))
    assert missing == []
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" in token and "401" not in token


def test_list_parameters_are_the_ones_the_list_takes(schema):
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
    assert {"request_date_after", "request_date_before", "cursor", "page_size",
            "ordering"} <= set(parameters)
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 200}
    assert parameters["legal_instrument"]["schema"]["type"] == "integer"
    assert parameters["q"]["schema"]["maxLength"] == 200
    assert "subject__full_name" not in str(parameters["ordering"]["schema"]["items"]["enum"])
    inbox = {p["name"] for p in schema["paths"]["/api/v1/inbox/"]["get"]["parameters"]}
    assert inbox == {"since", "organisation"}


def test_a_download_lists_the_types_of_its_files(schema):
    export = schema["paths"]["/api/v1/exports/{id}/download/"]["get"]["responses"]
    assert {"text/csv; charset=utf-8", "application/json", "application/pdf"} <= set(
        export["200"]["content"])
    assert {"409", "410"} <= set(export)
    evidence = schema["paths"]["/api/v1/evidence/"]["post"]["requestBody"]["content"]
    assert list(evidence) == ["multipart/form-data"]


# --- what the schema promises holds for each kind of reader -----------------------------------


def _required(schema, component) -> set[str]:
    return set(components(schema)[component].get("required", ()))


def test_a_subject_read_by_a_partner_has_every_field_the_schema_requires(schema, world):
    subject = SubjectFactory(owner=world.ngo_fr)
    CaseFactory(owner=world.ngo_fr, subject=subject, distribution=Distribution.NETWORK,
                tlp=TLP.GREEN)
    body = api_client(world.de_caseworker).get(f"/api/v1/subjects/{subject.pk}/").json()
    assert "full_name" not in body
    assert _required(schema, "Subject") <= set(body)


def test_a_case_read_by_a_partner_has_every_field_the_schema_requires(schema, world):
    case = CaseFactory(owner=world.ngo_fr, distribution=Distribution.NETWORK, tlp=TLP.GREEN)
    case.offences.create(description="Names a witness", category="other")
    body = api_client(world.it_caseworker).get(f"/api/v1/cases/{case.pk}/").json()
    assert "legal_basis_note" not in body
    assert _required(schema, "Case") <= set(body)
    assert body["offences"] == [{"category": "other"}]
    assert all(_required(schema, "Offence") <= set(o) for o in body["offences"])
