"""Subjects: the people whose extradition is recorded, and every display of who they are."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Organisation, Subject, SubjectNationality
from ..policy import Action, Resource
from .common import check_past_dates, raise_errors, require_version, versioned_update

AuditAction = audit.Action


def _validate_nationalities(nationalities: list[dict]) -> None:
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


def _set_nationalities(subject: Subject, nationalities: list[dict]) -> None:
    subject.nationalities.all().delete()
    SubjectNationality.objects.bulk_create(
        [SubjectNationality(subject=subject, **item) for item in nationalities]
    )


def _validate_subject(fields: dict) -> None:
    errors: dict = {}
    check_past_dates(errors, date_of_birth=fields.get("date_of_birth"))
    raise_errors(errors)


def _new_subject(owner: Organisation, actor, fields: dict) -> Subject:
    # The reference is random; on the rare clash, draw again.
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return Subject.objects.create(owner=owner, created_by=actor, **fields)
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free subject reference")


def subject_create(
    *, actor, organisation: Organisation | None = None, nationalities=(), **fields
) -> Subject:
    owner = policy.acting_organisation(actor, Resource.SUBJECT, organisation)
    nationalities = list(nationalities)
    _validate_subject(fields)
    _validate_nationalities(nationalities)
    with transaction.atomic():
        subject = _new_subject(owner, actor, fields)
        _set_nationalities(subject, nationalities)
        audit.record(actor, AuditAction.CREATE, subject, changed_fields=list(fields))
    return subject


def subject_update(
    *, actor, subject: Subject, version: int | None, nationalities=None, **changes
) -> Subject:
    policy.require(actor, Action.CHANGE, subject)
    _validate_subject(changes)
    if nationalities is not None:
        nationalities = list(nationalities)
        _validate_nationalities(nationalities)
    with transaction.atomic():
        changed = versioned_update(subject, require_version(version), changes)
        if nationalities is not None:
            _set_nationalities(subject, nationalities)
            changed.append("nationalities")
        audit.record(actor, AuditAction.UPDATE, subject, changed_fields=changed)
    return subject


def record_personal_data_views(*, actor, subjects: Iterable[Subject]) -> None:
    """Every display of a subject's identifying data leaves a trace."""
    audit.record_many(
        [audit.Entry(actor, AuditAction.VIEW_PERSONAL_DATA, subject) for subject in subjects]
    )
