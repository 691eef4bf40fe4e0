"""Cases: created, changed, shared and moved along the workflow."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import Case, CaseReferenceSequence, CaseTransition, Membership, Offence, Organisation
from ..models.cases import TRANSITIONS, CaseStatus
from ..models.sharing import SHARED, TLP, TLP_CEILING, Distribution, opens_further
from ..policy import Action, Resource
from ..selectors import nationality_consultation
from ..signals import case_transitioned
from .common import check_past_dates, raise_errors, require_version, today, versioned_update

AuditAction = audit.Action


def _next_case_reference(owner: Organisation) -> str:
    year = today().year
    prefix = owner.country_id
    sequence, _ = CaseReferenceSequence.objects.select_for_update().get_or_create(
        prefix=prefix, year=year
    )
    CaseReferenceSequence.objects.filter(pk=sequence.pk).update(last=F("last") + 1)
    sequence.refresh_from_db()
    return f"{prefix}-{year}-{sequence.last:04d}"


def validate_sharing(errors: dict, owner_id: int, values: dict) -> None:
    distribution, tlp, group = values["distribution"], values["tlp"], values["sharing_group"]
    if distribution not in TLP_CEILING[tlp]:
        allowed = ", ".join(TLP_CEILING[tlp])
        errors["distribution"] = _(
            "%(label)s allows at most these distributions: %(allowed)s."
        ) % {"label": TLP(tlp).label, "allowed": allowed}
    if distribution == Distribution.SHARING_GROUP:
        if group is None:
            errors["sharing_group"] = _("Name the sharing group to share with.")
        elif not group.memberships.filter(organisation_id=owner_id).exists():
            errors["sharing_group"] = _("Your organisation is not a member of this group.")
    elif group is not None:
        errors["sharing_group"] = _(
            "A sharing group goes only with the distribution 'sharing_group'."
        )


def _validate_case(owner_id: int, values: dict) -> None:
    """Rules over the whole case after the change; `values` holds every field."""
    errors: dict = {}
    subject = values["subject"]
    if subject.owner_id != owner_id:
        errors["subject"] = _("The subject must be one of your organisation's.")
    if values["requesting_state"] == values["requested_state"]:
        errors["requested_state"] = _("The requesting and requested states must differ.")
    check_past_dates(
        errors,
        request_date=values["request_date"],
        arrest_date=values["arrest_date"],
        decision_date=values["decision_date"],
        surrender_date=values["surrender_date"],
    )
    request, decision, surrender = (
        values["request_date"], values["decision_date"], values["surrender_date"]
    )
    if request and decision and decision < request and "decision_date" not in errors:
        errors["decision_date"] = _("The decision cannot come before the request.")
    if request and surrender and surrender < request and "surrender_date" not in errors:
        errors["surrender_date"] = _("The surrender cannot come before the request.")
    if decision and surrender and surrender < decision and "surrender_date" not in errors:
        errors["surrender_date"] = _("The surrender cannot come before the decision.")
    if values["interpol_notice"] == Case.InterpolNotice.NONE and values["interpol_reference"]:
        errors["interpol_reference"] = _("A reference needs a notice type.")
    validate_sharing(errors, owner_id, values)
    raise_errors(errors)


def _validate_named_recipients(owner_id: int, users: Iterable) -> None:
    users = list(users)
    members = set(
        Membership.objects.filter(organisation_id=owner_id, user__in=users).values_list(
            "user_id", flat=True
        )
    )
    if any(user.pk not in members for user in users):
        raise ValidationError(
            {"named_recipients": _("Named recipients must be members of your organisation.")}
        )


_CASE_DEFAULTS = {
    "legal_instrument": None,
    "legal_basis_note": "",
    "interpol_notice": Case.InterpolNotice.NONE,
    "interpol_reference": "",
    "request_date": None,
    "arrest_date": None,
    "decision_date": None,
    "surrender_date": None,
    "distribution": Distribution.ORGANISATION,
    "sharing_group": None,
    "tlp": TLP.AMBER,
}


def case_create(
    *,
    actor,
    organisation: Organisation | None = None,
    offences: Iterable[dict] = (),
    named_recipients: Iterable = (),
    status: str = CaseStatus.REQUEST_RECEIVED,
    **fields,
) -> Case:
    owner = policy.acting_organisation(actor, Resource.CASE, organisation)
    if status not in (CaseStatus.REQUEST_RECEIVED, CaseStatus.PROVISIONAL_ARREST):
        raise ValidationError(
            {"status": _("A case starts at 'request_received' or 'provisional_arrest'.")}
        )
    values = {**_CASE_DEFAULTS, **fields}
    _validate_case(owner.pk, values)
    named = list(named_recipients)
    _validate_named_recipients(owner.pk, named)
    with transaction.atomic():
        shared = values["distribution"] in SHARED
        case = Case.objects.create(
            owner=owner,
            reference=_next_case_reference(owner),
            status=status,
            created_by=actor,
            shared_at=timezone.now() if shared else None,
            **values,
        )
        Offence.objects.bulk_create([Offence(case=case, **offence) for offence in offences])
        if values["tlp"] == TLP.RED:
            named.append(actor)
        case.named_recipients.set(named)
        entries = [audit.Entry(actor, AuditAction.CREATE, case, changed_fields=list(fields))]
        if shared:
            entries.append(audit.Entry(actor, AuditAction.SHARE, case, detail=_sharing(case)))
        audit.record_many(entries)
    return case


def _sharing(case: Case) -> dict:
    return {
        "distribution": case.distribution,
        "sharing_group": case.sharing_group_id,
        "tlp": case.tlp,
    }


def case_update(
    *,
    actor,
    case: Case,
    version: int | None,
    offences: Iterable[dict] | None = None,
    named_recipients: Iterable | None = None,
    **changes,
) -> Case:
    policy.require(actor, Action.CHANGE, case)
    version = require_version(version)
    values = {name: getattr(case, name) for name in (*_CASE_DEFAULTS, "subject",
                                                    "requesting_state", "requested_state")}
    values.update(changes)
    _validate_case(case.owner_id, values)
    if named_recipients is not None:
        named_recipients = list(named_recipients)
        _validate_named_recipients(case.owner_id, named_recipients)
    before = _sharing(case)
    with transaction.atomic():
        changed = versioned_update(case, version, changes)
        if offences is not None:
            case.offences.all().delete()
            Offence.objects.bulk_create([Offence(case=case, **offence) for offence in offences])
            changed.append("offences")
        if named_recipients is not None:
            if case.tlp == TLP.RED and not named_recipients:
                named_recipients = [actor]
            case.named_recipients.set(named_recipients)
            changed.append("named_recipients")
        elif "tlp" in changed and case.tlp == TLP.RED and not case.named_recipients.exists():
            case.named_recipients.set([actor])
        after = _sharing(case)
        entries = [audit.Entry(actor, AuditAction.UPDATE, case, changed_fields=changed)]
        if before != after:
            wider = opens_further(before, after)
            if wider:
                Case.objects.filter(pk=case.pk).update(shared_at=timezone.now())
            entries.append(
                audit.Entry(
                    actor,
                    AuditAction.SHARE if wider else AuditAction.WITHDRAW,
                    case,
                    detail={"from": before, "to": after},
                )
            )
        audit.record_many(entries)
    return case


_CONSULTATION_BEFORE = (
    CaseStatus.JUDICIAL_PHASE,
    CaseStatus.ASSURANCES_REQUESTED,
    CaseStatus.ASSURANCES_ASSESSED,
    CaseStatus.EXECUTIVE_DECISION,
    CaseStatus.SURRENDERED,
)


def case_transition(
    *,
    actor,
    case: Case,
    to: str,
    on: datetime.date | None = None,
    note: str = "",
    closure_reason: str = "",
    version: int | None = None,
) -> CaseTransition:
    """Move a case along the workflow, recording date, actor and note."""
    policy.require(actor, Action.TRANSITION, case)
    on = on or today()
    errors: dict = {}
    allowed = TRANSITIONS[case.status]
    if to not in allowed:
        errors["to"] = (
            _("'%(status)s' is final: no transition leads out of it.") % {"status": case.status}
            if not allowed
            else _("A case at '%(status)s' can move only to: %(allowed)s.")
            % {"status": case.status, "allowed": ", ".join(allowed)}
        )
    check_past_dates(errors, date=on)
    if "date" not in errors and case.status_changed_on and on < case.status_changed_on:
        errors["date"] = _("The case last changed status on %(date)s; this date is earlier.") % {
            "date": case.status_changed_on.isoformat()
        }
    # The date becomes the surrender date: it obeys the same order as in `_validate_case`.
    if "date" not in errors and to == CaseStatus.SURRENDERED and case.surrender_date is None:
        for earlier in (case.request_date, case.decision_date):
            if earlier and on < earlier:
                errors["date"] = _("The surrender cannot come before %(date)s.") % {
                    "date": earlier.isoformat()
                }
    if to == CaseStatus.MONITORING_CLOSED:
        if closure_reason not in Case.ClosureReason.values:
            errors["closure_reason"] = _("Say why monitoring closes: %(reasons)s.") % {
                "reasons": ", ".join(Case.ClosureReason.values)
            }
    elif closure_reason:
        errors["closure_reason"] = _("A closure reason goes only with 'monitoring_closed'.")
    raise_errors(errors)

    # The duty to inform the state of nationality bars the way to a surrender; it never bars
    # refusing, withdrawing, or monitoring a person already surrendered.
    if to in _CONSULTATION_BEFORE:
        consultation = nationality_consultation(case)
        if consultation["missing"]:
            raise ValidationError(
                {"to": _("The subject holds the nationality of %(states)s: record that each "
                         "state was informed (a 'nationality_consultation' proceeding) before "
                         "the case moves on.") % {"states": ", ".join(consultation["missing"])}}
            )
    changes: dict[str, Any] = {"status": to, "status_changed_on": on}
    if to == CaseStatus.SURRENDERED and case.surrender_date is None:
        changes["surrender_date"] = on
    if to == CaseStatus.MONITORING_CLOSED:
        changes["closure_reason"] = closure_reason
    if to == CaseStatus.MONITORING_ACTIVE and case.surrender_date is None:
        raise ValidationError({"to": _("Monitoring starts from a surrender date (day 0).")})

    from_status = case.status
    with transaction.atomic():
        # Also a move made meanwhile by someone else is a conflict, whatever the version.
        versioned_update(case, version, changes, status=from_status)
        transition = CaseTransition.objects.create(
            case=case, from_status=from_status, to_status=to, date=on, note=note, actor=actor
        )
        audit.record(
            actor,
            AuditAction.TRANSITION,
            case,
            changed_fields=sorted(changes),
            detail={"from": from_status, "to": to, "date": on.isoformat()},
        )
        # Inside the transaction: what listeners write commits or rolls back with the move.
        case_transitioned.send(sender=Case, case=case, transition=transition, actor=actor)
    return transition
