"""Proceedings of a case: hearings, decisions, appeals, consultations of a state."""

from __future__ import annotations

import datetime
from typing import TypedDict, Unpack

from django.db import transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Case, Country, ProceedingEvent
from ..policy import Action, Resource
from ..signals import proceeding_recorded
from .common import (
    EARLIEST_DATE,
    Actor,
    audited_update,
    check_case_writable,
    check_past_dates,
    declared,
    delete_unless_referred_to,
    raise_errors,
    today,
)

AuditAction = audit.Action


class ProceedingDetails(TypedDict, total=False):
    """What a proceeding may say beyond its kind and date."""

    authority: str
    consulted_state: Country | None
    description: str
    outcome: str


class ProceedingChanges(ProceedingDetails, total=False):
    kind: str
    date: datetime.date


def _validate_proceeding(values: dict) -> None:
    errors: dict = {}
    is_consultation = values["kind"] == ProceedingEvent.Kind.NATIONALITY_CONSULTATION
    if is_consultation and values.get("consulted_state") is None:
        errors["consulted_state"] = _("Name the state of nationality that was informed.")
    if not is_consultation and values.get("consulted_state") is not None:
        errors["consulted_state"] = _("Only a nationality consultation names a consulted state.")
    if is_consultation:
        check_past_dates(errors, date=values["date"])
    elif values["date"] < EARLIEST_DATE or values["date"] > today() + datetime.timedelta(
        days=3 * 365
    ):
        errors["date"] = _("This date is out of range (1900 to three years ahead).")
    raise_errors(errors)


def proceeding_create(
    *, actor: Actor, case: Case, kind: str, date: datetime.date,
    **details: Unpack[ProceedingDetails],
) -> ProceedingEvent:
    check_case_writable(actor, case, Resource.PROCEEDING)
    fields = {"kind": kind, "date": date, **declared(details, ProceedingDetails)}
    _validate_proceeding(fields)
    with transaction.atomic():
        event = ProceedingEvent.objects.create(case=case, created_by=actor, **fields)
        audit.record(actor, AuditAction.CREATE, event, changed_fields=list(fields))
        proceeding_recorded.send(sender=ProceedingEvent, proceeding=event, actor=actor)
    return event


def proceeding_update(
    *, actor: Actor, proceeding: ProceedingEvent, version: int | None,
    **changes: Unpack[ProceedingChanges],
) -> ProceedingEvent:
    policy.require(actor, Action.CHANGE, proceeding)
    changes = declared(changes, ProceedingChanges)
    values = {
        "kind": proceeding.kind,
        "date": proceeding.date,
        "consulted_state": proceeding.consulted_state,
        **changes,
    }
    _validate_proceeding(values)
    return audited_update(actor, proceeding, version, changes)


def proceeding_delete(*, actor: Actor, proceeding: ProceedingEvent) -> None:
    policy.require(actor, Action.DELETE, proceeding)
    delete_unless_referred_to(actor, proceeding, {"kind": proceeding.kind})
