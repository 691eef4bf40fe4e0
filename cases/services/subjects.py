"""Subjects: the people whose extradition is recorded, and every display of who they are."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Country, Organisation, Subject, SubjectNationality
from ..policy import Action, Resource
from .common import (
    Actor,
    check_past_dates,
    declared,
    raise_errors,
    require_version,
    versioned_update,
)

AuditAction = audit.Action


class Nationality(TypedDict, total=False):
    country: Country
    acquired_on: datetime.date | None
    lost_on: datetime.date | None


class SubjectDetails(TypedDict, total=False):
    """What a subject's record may say beyond the name; any of it may be left out."""

    other_names: str
    date_of_birth: datetime.date | None
    contacts: str
    notes: str
    refugee_status: str
    protection_state: Country | None
    reprisal_risk: bool
    do_not_contact: bool
    consent_to_record: bool
    consent_to_share: bool


class SubjectChanges(SubjectDetails, total=False):
    """A change to a subject: any of its fields."""

    full_name: str


def _validate_nationalities(nationalities: list[Nationality]) -> None:
    seen = set()
    for item in nationalities:
        key = (item["country"].pk, item.get("acquired_on"))
        if key in seen:
            raise ValidationError({"nationalities": _("A nationality is listed twice.")})
        seen.add(key)
        acquired, lost = item.get("acquired_on"), item.get("lost_on")
        errors: dict = {}
        check_past_dates(errors, acquired_on=acquired, lost_on=lost)
        if acquired and lost and lost < acquired:
            errors["lost_on"] = _("A nationality cannot be lost before it was acquired.")
        if errors:
            raise ValidationError({"nationalities": [errors[k] for k in sorted(errors)]})


def _set_nationalities(subject: Subject, nationalities: list[Nationality]) -> None:
    subject.nationalities.all().delete()
    SubjectNationality.objects.bulk_create(
        [SubjectNationality(subject=subject, **item) for item in nationalities]
    )


def _validate_subject(fields: dict) -> None:
    errors: dict = {}
    check_past_dates(errors, date_of_birth=fields.get("date_of_birth"))
    raise_errors(errors)


def _new_subject(owner: Organisation, actor: Actor, fields: dict) -> Subject:
    # The reference is random; on the rare clash, draw again.
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Subject.objects.create(owner=owner, created_by=actor, **fields)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free subject reference")


def subject_create(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    full_name: str,
    nationalities: Iterable[Nationality] = (),
    **details: Unpack[SubjectDetails],
) -> Subject:
    owner = policy.acting_organisation(actor, Resource.SUBJECT, organisation)
    fields = {"full_name": full_name, **declared(details, SubjectDetails)}
    nationalities = [declared(item, Nationality) for item in nationalities]
    _validate_subject(fields)
    _validate_nationalities(nationalities)
    with transaction.atomic():
        subject = _new_subject(owner, actor, fields)
        _set_nationalities(subject, nationalities)
        audit.record(actor, AuditAction.CREATE, subject, changed_fields=list(fields))
    return subject


def subject_update(
    *,
    actor: Actor,
    subject: Subject,
    version: int | None,
    nationalities: Iterable[Nationality] | None = None,
    **changes: Unpack[SubjectChanges],
) -> Subject:
    policy.require(actor, Action.CHANGE, subject)
    changes = declared(changes, SubjectChanges)
    if subject.erased_at is not None:
        raise_errors({name: _("This subject's identifiers were erased; none can be recorded "
                              "again.") for name in Subject.IDENTIFYING_FIELDS
                      if changes.get(name)})
    _validate_subject(changes)
    if nationalities is not None:
        nationalities = [declared(item, Nationality) for item in nationalities]
        _validate_nationalities(nationalities)
    with transaction.atomic():
        changed = versioned_update(subject, require_version(version), changes)
        if {"full_name", "other_names"} & set(changed):
            subject.index_names()
        if nationalities is not None:
            _set_nationalities(subject, nationalities)
            changed.append("nationalities")
        audit.record(actor, AuditAction.UPDATE, subject, changed_fields=changed)
    return subject


def record_personal_data_views(*, actor: Actor, subjects: Iterable[Subject]) -> None:
    """Every display of a subject's identifying data leaves a trace."""
    audit.record_many(
        [audit.Entry(actor, AuditAction.VIEW_PERSONAL_DATA, subject) for subject in subjects]
    )
