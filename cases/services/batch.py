"""Many new subjects and cases at once, for an import: each checked by the rules of
`subject_create` and `case_create`, the rows written in bulk, one audit event per record.

A row at a time costs some thirty statements (its data key, its reference, its offences, its
audit event...); here a batch of a thousand costs a handful per kind of record. What is
written is what the single services would write: the same fields, sealed under a data key of
each subject's own, the same name index entries, references from the same sequence, the same
audit events.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, crypto, keyring, policy
from ..models import (
    Case,
    CaseReferenceSequence,
    DataKey,
    Membership,
    Offence,
    Organisation,
    SharingGroupMembership,
    Subject,
    SubjectNameDigest,
    SubjectNationality,
)
from ..models.cases import INITIAL_STATUSES
from ..models.sharing import SHARED, TLP
from ..models.subjects import new_subject_reference
from ..policy import Resource
from .cases import (
    CaseDetails,
    OffenceFields,
    _defaults,
    _sharing,
    check_share_consent,
    validate_case,
)
from .common import Actor, declared, raise_errors, today
from .subjects import Nationality, SubjectDetails, _validate_nationalities, _validate_subject

AuditAction = audit.Action


def owner_facts(owner: Organisation) -> tuple[set[int], set[int]]:
    """The ids of the owner's members and of its sharing groups: what the case rules look up,
    read once for many cases."""
    members = set(Membership.objects.filter(organisation=owner).values_list("user_id", flat=True))
    groups = set(SharingGroupMembership.objects.filter(organisation=owner)
                 .values_list("group_id", flat=True))
    return members, groups


def check_new_subject(fields: dict, nationalities: list[dict]) -> None:
    """The rules `subject_create` applies, raising ValidationError."""
    declared({k: v for k, v in fields.items() if k != "full_name"}, SubjectDetails)
    _validate_subject(fields)
    _validate_nationalities([declared(item, Nationality) for item in nationalities])


def _new_keys(count: int) -> list[DataKey]:
    keys = []
    for _i in range(count):
        key, key_id = crypto.new_data_key(), uuid.uuid4()
        kek, wrapped = crypto.wrap(key_id, key)
        keyring.remember(key_id, key)
        keys.append(DataKey(id=key_id, kek=kek, wrapped=wrapped))
    return DataKey.objects.bulk_create(keys)


def _free_references(count: int) -> list[str]:
    """`count` subject references drawn at random and not yet taken."""
    drawn: set[str] = set()
    while len(drawn) < count:
        wanted = {new_subject_reference() for _ in range(count - len(drawn))} - drawn
        taken = set(Subject.objects.filter(reference__in=wanted).values_list("reference",
                                                                           flat=True))
        drawn |= wanted - taken
    return sorted(drawn)


def subjects_create_many(*, actor: Actor, organisation: Organisation,
                         items: Sequence[dict[str, Any]]) -> list[Subject]:
    """New subjects of `organisation`, one per item: `full_name`, any of `SubjectDetails` and
    `nationalities`."""
    owner = policy.acting_organisation(actor, Resource.SUBJECT, organisation)
    rows = []
    for item in items:
        fields = dict(item)
        nationalities = fields.pop("nationalities", [])
        check_new_subject(fields, nationalities)
        rows.append((fields, nationalities))
    if not rows:
        return []
    with transaction.atomic():
        keys = _new_keys(len(rows))
        for _attempt in range(5):
            subjects = [
                Subject(owner=owner, created_by=actor, data_key=key, reference=reference,
                        **fields)
                for (fields, _n), key, reference in zip(rows, keys, _free_references(len(rows)),
                                                        strict=True)
            ]
            try:
                with transaction.atomic():
                    Subject.objects.bulk_create(subjects)
                break
            except IntegrityError as error:
                # A reference drawn meanwhile by someone else: draw again; anything else is
                # not this loop's to hide.
                if "reference" not in str(error):
                    raise
                continue
        else:
            raise RuntimeError("could not draw free subject references")
        SubjectNameDigest.objects.bulk_create([
            SubjectNameDigest(subject=subject, digest=digest)
            for subject, (fields, _n) in zip(subjects, rows, strict=True)
            for digest in crypto.subject_digests(fields["full_name"],
                                                 fields.get("other_names", ""))
        ])
        SubjectNationality.objects.bulk_create([
            SubjectNationality(subject=subject, **item)
            for subject, (_f, nationalities) in zip(subjects, rows, strict=True)
            for item in nationalities
        ])
        audit.record_many([
            audit.Entry(actor, AuditAction.CREATE, subject, organisation_id=owner.pk,
                        changed_fields=list(fields))
            for subject, (fields, _n) in zip(subjects, rows, strict=True)
        ])
    return subjects


def _case_references(owner: Organisation, count: int) -> list[str]:
    """`count` consecutive references of the owner's sequence for this year, taken at once."""
    year = today().year
    prefix = owner.country_id
    sequence, _made = CaseReferenceSequence.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    CaseReferenceSequence.objects.filter(pk=sequence.pk).update(last=F("last") + count)
    sequence.refresh_from_db()
    first = sequence.last - count + 1
    return [f"{prefix}-{year}-{number:04d}" for number in range(first, sequence.last + 1)]


def case_values(actor: Actor, item: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Every field of a new case from an item as `case_create` takes it (the model's defaults,
    and the actor as caseworker unless another is named), and the names of those given."""
    details = {k: v for k, v in item.items() if k in CaseDetails.__annotations__}
    fields = {"subject": item["subject"], "requesting_state": item["requesting_state"],
              "requested_state": item["requested_state"], "channel": item["channel"],
              "caseworker": actor, **details}
    return {**_defaults(), **fields}, list(fields)


def check_new_case(owner: Organisation, values: dict, *, status: str,
                   consent_override_reason: str, members: set[int], groups: set[int]) -> str:
    """The rules `case_create` applies to a case with every field in `values`; the consent
    override reason to record ("" when none is needed). Raises ValidationError."""
    if status not in INITIAL_STATUSES:
        raise_errors({"status": _("A case starts at 'request_received' or "
                                  "'provisional_arrest'.")})
    validate_case(owner.pk, values, members=members, groups=groups)
    if values["distribution"] in SHARED:
        return check_share_consent(owner, values["subject"], consent_override_reason)
    return ""


def cases_create_many(*, actor: Actor, organisation: Organisation,
                      items: Sequence[dict[str, Any]]) -> list[Case]:
    """New cases of `organisation`, one per item: what `case_create` takes (`subject`,
    `requesting_state`, `requested_state`, `channel`, `offences`, `status`,
    `consent_override_reason` and any of `CaseDetails`)."""
    owner = policy.acting_organisation(actor, policy.Resource.CASE, organisation)
    members, groups = owner_facts(owner)
    checked = []
    for item in items:
        values, given = case_values(actor, item)
        status = item.get("status") or Case.Status.REQUEST_RECEIVED
        override = check_new_case(owner, values, status=status, members=members, groups=groups,
                                  consent_override_reason=item.get("consent_override_reason",
                                                                   ""))
        offences = [declared(o, OffenceFields) for o in item.get("offences", ())]
        checked.append((values, status, override, offences, given))
    if not checked:
        return []
    now = timezone.now()
    with transaction.atomic():
        cases = [
            Case(owner=owner, reference=reference, status=status, created_by=actor,
                 shared_at=now if values["distribution"] in SHARED else None, **values)
            for (values, status, *_rest), reference in zip(
                checked, _case_references(owner, len(checked)), strict=True)
        ]
        Case.objects.bulk_create(cases)
        Offence.objects.bulk_create([
            Offence(case=case, **offence)
            for case, (_v, _s, _o, offences, _g) in zip(cases, checked, strict=True)
            for offence in offences
        ])
        Case.named_recipients.through.objects.bulk_create([
            Case.named_recipients.through(case_id=case.pk, user_id=actor.pk)
            for case in cases if case.tlp == TLP.RED
        ])
        entries = []
        for case, (_v, _s, override, _f, given) in zip(cases, checked, strict=True):
            entries.append(audit.Entry(actor, AuditAction.CREATE, case,
                                       organisation_id=owner.pk, changed_fields=given))
            if case.distribution in SHARED:
                detail = _sharing(case)
                if override:
                    detail["consent_override_reason"] = override
                entries.append(audit.Entry(actor, AuditAction.SHARE, case,
                                           organisation_id=owner.pk, detail=detail))
        audit.record_many(entries)
    return cases

