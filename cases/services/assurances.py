"""Assurances given for the person of a case."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Assurance, Case
from ..policy import Action, Resource
from .common import (
    check_case_writable,
    check_past_dates,
    delete_unless_referred_to,
    raise_errors,
    require_version,
    versioned_update,
)

AuditAction = audit.Action


def _validate_assurance(values: dict) -> None:
    errors: dict = {}
    if values["type"] != Assurance.Type.NO_DEATH_PENALTY and values.get("death_penalty_scope"):
        errors["death_penalty_scope"] = _("Only a no-death-penalty assurance has a scope.")
    check_past_dates(errors, given_on=values.get("given_on"))
    raise_errors(errors)


def assurance_create(*, actor, case: Case, **fields) -> Assurance:
    check_case_writable(actor, case, Resource.ASSURANCE)
    _validate_assurance(fields)
    with transaction.atomic():
        assurance = Assurance.objects.create(case=case, created_by=actor, **fields)
        audit.record(actor, AuditAction.CREATE, assurance, changed_fields=list(fields))
    return assurance


def assurance_update(*, actor, assurance: Assurance, version: int | None, **changes) -> Assurance:
    policy.require(actor, Action.CHANGE, assurance)
    _validate_assurance(
        {
            "type": assurance.type,
            "death_penalty_scope": assurance.death_penalty_scope,
            **changes,
        }
    )
    with transaction.atomic():
        changed = versioned_update(assurance, require_version(version), changes)
        audit.record(actor, AuditAction.UPDATE, assurance, changed_fields=changed)
    return assurance


def assurance_delete(*, actor, assurance: Assurance) -> None:
    policy.require(actor, Action.DELETE, assurance)
    delete_unless_referred_to(actor, assurance, {"type": assurance.type})
