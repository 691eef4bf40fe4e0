"""Every write goes through a service whose arguments are named and typed: a field a service
does not declare is refused before anything is written, never passed on to the database (an
`owner`, a `created_by` or a finding's distribution slipped into a body)."""

from __future__ import annotations

import inspect

import pytest
from django.utils import timezone

from cases import name_index
from cases import services as case_services
from cases.models import Assurance, AuditEvent, Case, Subject
from monitoring import services as monitoring_services
from monitoring.models import CheckReport, Finding

from ..factories import AssuranceFactory, CaseFactory, SubjectFactory, country
from ..monitoring_helpers import first_visit, monitored_case

# What the packages also offer beside the writes: the checks they share with forms and the
# admin, and the mechanics they share with each other.
HELPERS = {
    "belongs_elsewhere", "check_keeps_an_admin", "check_may_join", "check_may_manage_members",
    "check_role", "check_sharing_group", "declared", "raise_errors", "require_version",
    "takes_last_admin", "validate_sharing", "versioned_update",
}
WRITES = [
    (package, name)
    for package in (case_services, monitoring_services)
    for name in package.__all__
    if inspect.isfunction(getattr(package, name))
    and name not in HELPERS and not name.startswith("_")
]


@pytest.mark.parametrize(("package", "name"), WRITES,
                         ids=[f"{p.__name__}.{n}" for p, n in WRITES])
def test_every_write_takes_named_and_typed_arguments(package, name):
    signature = inspect.signature(getattr(package, name))
    for parameter in signature.parameters.values():
        assert parameter.kind in (parameter.KEYWORD_ONLY, parameter.VAR_KEYWORD), parameter
        assert parameter.annotation is not parameter.empty, parameter
    assert signature.return_annotation is not signature.empty


def new_case_fields(world) -> dict:
    return {"subject": SubjectFactory(owner=world.ngo_fr), "requesting_state": country("CN"),
            "requested_state": country("FR"), "channel": Case.Channel.EXTRADITION}


@pytest.mark.parametrize("field", [{"owner_id": 0}, {"created_by": None}, {"reference": "X-1"},
                                   {"status_changed_on": None}])
def test_a_case_service_refuses_a_field_it_does_not_declare(world, field):
    user = world.fr_caseworker
    case = CaseFactory(owner=world.ngo_fr)
    before = (Case.objects.count(), AuditEvent.objects.count())

    with pytest.raises(TypeError):
        case_services.case_create(actor=user, **new_case_fields(world), **field)
    with pytest.raises(TypeError):
        case_services.case_update(actor=user, case=case, version=case.version, **field)
    with pytest.raises(TypeError):
        case_services.subject_create(actor=user, full_name="Signature Probe", **field)

    assert (Case.objects.count(), AuditEvent.objects.count()) == before
    assert not Subject.objects.filter(name_index.matches("Signature Probe")).exists()
    case.refresh_from_db()
    assert case.version == 1


def test_a_row_of_a_write_is_held_to_its_declared_fields_too(world):
    user = world.fr_caseworker
    case = CaseFactory(owner=world.ngo_fr)
    assurance = AssuranceFactory(case=case)

    with pytest.raises(TypeError):
        case_services.case_update(
            actor=user, case=case, version=case.version,
            offences=[{"description": "Fraud", "category": "economic_corruption", "case_id": 0}],
        )
    with pytest.raises(TypeError):
        case_services.assurance_update(actor=user, assurance=assurance, version=1,
                                       case=CaseFactory(owner=world.ngo_fr))

    assert not case.offences.exists()
    assert Assurance.objects.get(pk=assurance.pk).case_id == case.pk


def test_a_finding_of_a_report_cannot_set_how_far_it_travels(world):
    monitored = monitored_case(world)
    access = AssuranceFactory(case=monitored, type=Assurance.Type.MONITORING_ACCESS)
    visit = first_visit(monitored)

    with pytest.raises(TypeError):
        monitoring_services.report_submit(
            actor=world.fr_caseworker, follow_up=visit, checked_at=timezone.now(),
            access=CheckReport.Access.GRANTED,
            findings=[{"assurance": access, "outcome": "complied", "severity": "low",
                       "distribution": "network", "tlp": "clear"}],
        )

    assert not CheckReport.objects.exists() and not Finding.objects.exists()
