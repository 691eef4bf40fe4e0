"""Erasing a subject's identifiers while its record stays (crypto-shredding).

The subject's data key is destroyed, so every value it sealed is unreadable wherever a copy
of it lies; the live copies are emptied as well. The structured record (cases, assurances,
follow-ups, findings, the pseudonymous reference) stays and keeps counting; the audit chain
is untouched and gains an `erased` event saying who erased, when and why. Apps built on the
case register empty their own sealed text and delete their files on `subject_erased`.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, keyring, policy
from ..models import Case, CaseTransition, DataKey, Organisation, ProceedingEvent, Subject
from ..policy import Action
from ..signals import subject_erased
from .common import Actor, Operator

Reason = Subject.ErasureReason
CLOSED = (Case.Status.REFUSED, Case.Status.WITHDRAWN, Case.Status.MONITORING_CLOSED)


def subject_erase(*, actor: Actor, subject: Subject, reason: str) -> Subject:
    """Erase `subject`'s identifiers for good. An org admin of its owner may (a platform
    operator too, and the retention sweep as one); erasing twice is refused."""
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Reason.values)}})
    if not isinstance(actor, Operator):
        policy.require(actor, Action.ERASE, subject)
    now = timezone.now()
    with transaction.atomic():
        locked = Subject.objects.select_for_update().get(pk=subject.pk)
        if locked.erased_at is not None:
            raise ValidationError({"subject": _("Its identifiers were already erased.")})
        key_id = locked.data_key_id
        DataKey.objects.filter(pk=key_id).update(wrapped=b"", kek="", destroyed_at=now)
        Subject.objects.filter(pk=locked.pk).update(
            full_name="", other_names="", date_of_birth=None, contacts="", notes="",
            erased_at=now, erasure_reason=reason, version=F("version") + 1,
            erased_by=None if isinstance(actor, Operator) else actor,
        )
        locked.name_digests.all().delete()
        cases = Case.objects.filter(subject=locked)
        cases.update(legal_basis_note="", interpol_reference="")
        CaseTransition.objects.filter(case__in=cases).update(note="")
        ProceedingEvent.objects.filter(case__in=cases).update(description="", outcome="")
        subject_erased.send(sender=Subject, subject=locked, cases=cases, at=now)
        audit.record(actor, audit.Action.ERASED, locked, detail={"reason": reason})
        if key_id is not None:
            transaction.on_commit(lambda: keyring.forget(key_id))
    subject.refresh_from_db()
    return subject


def check_may_set_retention(actor: Actor, organisation: Organisation) -> None:
    if not isinstance(actor, Operator) and not policy.has_right(
            actor, organisation.pk, policy.Resource.SUBJECT, Action.ERASE):
        raise PermissionDenied(_("Only the organisation's admins decide this."))


def organisation_retention_set(*, actor: Actor, organisation: Organisation,
                               years: int | None) -> None:
    """How many years after its last case closed a subject's identifiers are erased (None:
    never by themselves)."""
    check_may_set_retention(actor, organisation)
    if years is not None and not (1 <= years <= 100):
        raise ValidationError({"retention_years": _("Between 1 and 100 years, or empty.")})
    if organisation.retention_years == years:
        return
    with transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(retention_years=years)
        organisation.retention_years = years
        audit.record(actor, audit.Action.UPDATE, organisation,
                     changed_fields=["retention_years"], detail={"retention_years": years})


def years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def retention_ends(organisation: Organisation, until: datetime.date) -> QuerySet[Subject]:
    """Subjects of `organisation` not yet erased whose retention ends on or before `until`:
    every case of theirs closed, the last of them `retention_years` before `until` or
    earlier. Each is annotated with `last_closed`, the day its last case closed."""
    if not organisation.retention_years:
        return Subject.objects.none()
    cutoff = years_before(until, organisation.retention_years)
    return (Subject.objects.filter(owner=organisation, erased_at__isnull=True)
            .annotate(open_cases=Count("cases", filter=~Q(cases__status__in=CLOSED)),
                      last_closed=Max("cases__status_changed_on"))
            .filter(open_cases=0, last_closed__lte=cutoff))


def retention_day(organisation: Organisation, last_closed: datetime.date) -> datetime.date:
    """The day a subject whose last case closed on `last_closed` is erased."""
    return years_before(last_closed, -organisation.retention_years)
