"""Assurances given for the person of a case."""

from __future__ import annotations

import datetime
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Assurance, Case
from ..policy import Action, Resource
from .common import (
    Actor,
    audited_update,
    check_case_writable,
    check_past_dates,
    declared,
    delete_unless_referred_to,
    raise_errors,
)

AuditAction = audit.Action


class AssuranceDetails(TypedDict, total=False):
    """What an assurance may say beyond its terms and who gave it; any of it may be left
    out (None where it is not known)."""

    death_penalty_scope: str
    binding: bool | None
    given_on: datetime.date | None
    disclosed_to_court: bool | None
    monitoring_who: str
    monitoring_frequency_days: int | None
    monitoring_private: bool | None
    monitoring_unannounced: bool | None
    monitoring_terms: str


class AssuranceChanges(AssuranceDetails, total=False):
    type: str
    verbatim_text: str
    form: str
    issuer: str
    issuer_level: str


def _validate_assurance(values: dict) -> None:
    errors: dict = {}
    if values["type"] != Assurance.Type.NO_DEATH_PENALTY and values.get("death_penalty_scope"):
        errors["death_penalty_scope"] = _("Only a no-death-penalty assurance has a scope.")
    check_past_dates(errors, given_on=values.get("given_on"))
    raise_errors(errors)


def assurance_create(
    *, actor: Actor, case: Case, type: str, verbatim_text: str, form: str, issuer: str,
    issuer_level: str, **details: Unpack[AssuranceDetails],
) -> Assurance:
    check_case_writable(actor, case, Resource.ASSURANCE)
    fields = {"type": type, "verbatim_text": verbatim_text, "form": form, "issuer": issuer,
              "issuer_level": issuer_level, **declared(details, AssuranceDetails)}
    _validate_assurance(fields)
    with transaction.atomic():
        assurance = Assurance.objects.create(case=case, created_by=actor, **fields)
        audit.record(actor, AuditAction.CREATE, assurance, changed_fields=list(fields))
    return assurance


def assurance_update(
    *, actor: Actor, assurance: Assurance, version: int | None,
    **changes: Unpack[AssuranceChanges],
) -> Assurance:
    policy.require(actor, Action.CHANGE, assurance)
    changes = declared(changes, AssuranceChanges)
    _validate_assurance(
        {
            "type": assurance.type,
            "death_penalty_scope": assurance.death_penalty_scope,
            **changes,
        }
    )
    return audited_update(actor, assurance, version, changes)


def assurance_delete(*, actor: Actor, assurance: Assurance) -> None:
    policy.require(actor, Action.DELETE, assurance)
    delete_unless_referred_to(actor, assurance, {"type": assurance.type})
