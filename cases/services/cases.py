"""Cases: created, changed, shared and moved along the workflow."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, policy
from ..models import (
    Case,
    CaseReferenceSequence,
    CaseTransition,
    Country,
    LegalInstrument,
    Membership,
    Offence,
    Organisation,
    SharingGroup,
    Subject,
)
from ..models.cases import INITIAL_STATUSES, TRANSITIONS, CaseStatus
from ..models.sharing import SHARED, TLP, TLP_CEILING, Distribution, opens_further
from ..policy import Action, Resource
from ..selectors import nationality_consultation
from ..signals import case_transitioned
from .common import (
    Actor,
    check_past_dates,
    declared,
    raise_errors,
    require_version,
    today,
    versioned_update,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

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


def validate_sharing(errors: dict, owner_id: int, values: dict,
                     groups: set[int] | None = None) -> None:
    """`groups`, when given, holds the ids of the owner's sharing groups (read once for many
    records)."""
    distribution, tlp, group = values["distribution"], values["tlp"], values["sharing_group"]
    if distribution not in TLP_CEILING[tlp]:
        allowed = ", ".join(TLP_CEILING[tlp])
        errors["distribution"] = _(
            "%(label)s allows at most these distributions: %(allowed)s."
        ) % {"label": TLP(tlp).label, "allowed": allowed}
    if distribution == Distribution.SHARING_GROUP:
        if group is None:
            errors["sharing_group"] = _("Name the sharing group to share with.")
        elif not (group.pk in groups if groups is not None
                  else group.memberships.filter(organisation_id=owner_id).exists()):
            errors["sharing_group"] = _("Your organisation is not a member of this group.")
    elif group is not None:
        errors["sharing_group"] = _(
            "A sharing group goes only with the distribution 'sharing_group'."
        )


CONSENT_REASON_MAX = 1000


def check_share_consent(owner: Organisation, subject: Subject, reason: str) -> str:
    """Before a record reaches beyond `owner`: the reason to record in the audit event when
    `subject` withheld consent to share ("" when it consented); refused without a reason, or
    always when the organisation never shares without consent."""
    if subject.consent_to_share:
        return ""
    if owner.share_without_consent == Organisation.ShareWithoutConsent.REFUSE:
        raise ValidationError({"distribution": _(
            "The subject withheld consent to share, and your organisation shares nothing of "
            "theirs without it.")})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"consent_override_reason": _(
            "The subject withheld consent to share: say why it is shared all the same.")})
    if len(reason) > CONSENT_REASON_MAX:
        raise ValidationError({"consent_override_reason": _(
            "At most %(max)d characters.") % {"max": CONSENT_REASON_MAX}})
    return reason


def validate_case(owner_id: int, values: dict, *, members: set[int] | None = None,
                  groups: set[int] | None = None) -> None:
    """Rules over the whole case after the change; `values` holds every field. `members` and
    `groups`, when given, hold the ids of the owner's members and sharing groups, read once for
    many cases (an import)."""
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
    validate_sharing(errors, owner_id, values, groups)
    _validate_caseworker(errors, owner_id, values["caseworker"], members)
    raise_errors(errors)


def _validate_caseworker(errors: dict, owner_id: int, caseworker,
                         members: set[int] | None = None) -> None:
    if caseworker is None:
        return
    if not (caseworker.pk in members if members is not None else Membership.objects.filter(
            organisation_id=owner_id, user=caseworker).exists()):
        errors["caseworker"] = _("The caseworker must be a member of your organisation.")


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


class OffenceFields(TypedDict, total=False):
    description: str
    category: str
    max_penalty: str


class CaseDetails(TypedDict, total=False):
    """What a case may say beyond whom and where it is about; what is left out takes the
    model's default."""

    legal_instrument: LegalInstrument | None
    legal_basis_note: str
    interpol_notice: str
    interpol_reference: str
    request_date: datetime.date | None
    arrest_date: datetime.date | None
    decision_date: datetime.date | None
    surrender_date: datetime.date | None
    distribution: str
    sharing_group: SharingGroup | None
    tlp: str
    caseworker: AbstractBaseUser | None


class CaseChanges(CaseDetails, total=False):
    """A change to a case: any of its fields (its status changes by transition)."""

    subject: Subject
    requesting_state: Country
    requested_state: Country
    channel: str


def _defaults() -> dict[str, Any]:
    return {name: Case._meta.get_field(name).get_default() for name in CaseDetails.__annotations__}


def _offences(case: Case, offences: Iterable[OffenceFields]) -> list[Offence]:
    return [Offence(case=case, **declared(offence, OffenceFields)) for offence in offences]


def case_create(
    *,
    actor: Actor,
    organisation: Organisation | None = None,
    subject: Subject,
    requesting_state: Country,
    requested_state: Country,
    channel: str,
    offences: Iterable[OffenceFields] = (),
    named_recipients: Iterable[AbstractBaseUser] = (),
    status: str = CaseStatus.REQUEST_RECEIVED,
    consent_override_reason: str = "",
    **details: Unpack[CaseDetails],
) -> Case:
    """Open a case; one shared from the start whose subject withheld consent to share takes a
    reason (kept in the audit event) or is refused, as for a later share."""
    owner = policy.acting_organisation(actor, Resource.CASE, organisation)
    if status not in INITIAL_STATUSES:
        raise ValidationError(
            {"status": _("A case starts at 'request_received' or 'provisional_arrest'.")}
        )
    fields = {"subject": subject, "requesting_state": requesting_state,
              "requested_state": requested_state, "channel": channel,
              # Whoever opens a case works it, unless another caseworker is named.
              "caseworker": actor, **declared(details, CaseDetails)}
    values = {**_defaults(), **fields}
    validate_case(owner.pk, values)
    named = list(named_recipients)
    _validate_named_recipients(owner.pk, named)
    shared = values["distribution"] in SHARED
    override = check_share_consent(owner, subject, consent_override_reason) if shared else ""
    with transaction.atomic():
        case = Case.objects.create(
            owner=owner,
            reference=_next_case_reference(owner),
            status=status,
            created_by=actor,
            shared_at=timezone.now() if shared else None,
            **values,
        )
        Offence.objects.bulk_create(_offences(case, offences))
        if values["tlp"] == TLP.RED:
            named.append(actor)
        case.named_recipients.set(named)
        entries = [audit.Entry(actor, AuditAction.CREATE, case, changed_fields=list(fields))]
        if shared:
            detail = _sharing(case)
            if override:
                detail["consent_override_reason"] = override
            entries.append(audit.Entry(actor, AuditAction.SHARE, case, detail=detail))
        audit.record_many(entries)
    return case


def _sharing(case: Case) -> dict:
    return {
        "distribution": case.distribution,
        "sharing_group": case.sharing_group_id,
        "tlp": case.tlp,
    }


def _set_named_recipients(actor: Actor, case: Case, named: list | None, changed: list) -> None:
    """RED cases stay with named people: with none named, the one who made the case RED."""
    if named is not None:
        case.named_recipients.set(named if named or case.tlp != TLP.RED else [actor])
        changed.append("named_recipients")
    elif "tlp" in changed and case.tlp == TLP.RED and not case.named_recipients.exists():
        case.named_recipients.set([actor])


def _reshared(actor: Actor, case: Case, before: dict,
              consent_override_reason: str = "") -> list[audit.Entry]:
    """A change of distribution or label: a share when the case reaches further, else a
    withdrawal. A share without the subject's consent records why."""
    after = _sharing(case)
    if before == after:
        return []
    wider = opens_further(before, after)
    if wider:
        Case.objects.filter(pk=case.pk).update(shared_at=timezone.now())
    action = AuditAction.SHARE if wider else AuditAction.WITHDRAW
    detail = {"from": before, "to": after}
    if consent_override_reason:
        detail["consent_override_reason"] = consent_override_reason
    return [audit.Entry(actor, action, case, detail=detail)]


def _consent_for_update(case: Case, values: dict, before: dict, reason: str) -> str:
    """A change that lets the case reach beyond its owner further, or shares another subject's
    case, checks that subject's consent (see `check_share_consent`)."""
    after = {"distribution": values["distribution"], "tlp": values["tlp"],
             "sharing_group": getattr(values["sharing_group"], "pk", None)}
    if after["distribution"] not in SHARED:
        return ""
    if not opens_further(before, after) and values["subject"].pk == case.subject_id:
        return ""
    return check_share_consent(case.owner, values["subject"], reason)


def case_update(
    *,
    actor: Actor,
    case: Case,
    version: int | None,
    offences: Iterable[OffenceFields] | None = None,
    named_recipients: Iterable[AbstractBaseUser] | None = None,
    consent_override_reason: str = "",
    **changes: Unpack[CaseChanges],
) -> Case:
    """Change a case; sharing it further when its subject withheld consent takes a reason
    (`consent_override_reason`, kept in the audit event), or is refused, as the owner
    decided."""
    policy.require(actor, Action.CHANGE, case)
    version = require_version(version)
    changes = declared(changes, CaseChanges)
    values = {name: getattr(case, name) for name in CaseChanges.__annotations__}
    validate_case(case.owner_id, {**values, **changes})
    if named_recipients is not None:
        named_recipients = list(named_recipients)
        _validate_named_recipients(case.owner_id, named_recipients)
    before = _sharing(case)
    override = _consent_for_update(case, {**values, **changes}, before,
                                   consent_override_reason)
    with transaction.atomic():
        changed = versioned_update(case, version, changes)
        if offences is not None:
            case.offences.all().delete()
            Offence.objects.bulk_create(_offences(case, offences))
            changed.append("offences")
        _set_named_recipients(actor, case, named_recipients, changed)
        entries = [audit.Entry(actor, AuditAction.UPDATE, case, changed_fields=changed)]
        audit.record_many(entries + _reshared(actor, case, before, override))
    return case


_CONSULTATION_BEFORE = (
    CaseStatus.JUDICIAL_PHASE,
    CaseStatus.ASSURANCES_REQUESTED,
    CaseStatus.ASSURANCES_ASSESSED,
    CaseStatus.EXECUTIVE_DECISION,
    CaseStatus.SURRENDERED,
)


def _transition_errors(case: Case, to: str, on: datetime.date, closure_reason: str) -> dict:
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
    return errors


def _require_consultation(case: Case, to: str) -> None:
    """The duty to inform the state of nationality bars the way to a surrender; it never bars
    refusing, withdrawing, or monitoring a person already surrendered."""
    if to in _CONSULTATION_BEFORE:
        consultation = nationality_consultation(case)
        if consultation["missing"]:
            raise ValidationError(
                {"to": _("The subject holds the nationality of %(states)s: record that each "
                         "state was informed (a 'nationality_consultation' proceeding) before "
                         "the case moves on.") % {"states": ", ".join(consultation["missing"])}}
            )


def case_transition(
    *,
    actor: Actor,
    case: Case,
    to: str,
    on: datetime.date | None = None,
    note: str = "",
    closure_reason: str = "",
    version: int | None = None,
    start_monitoring: bool = False,
) -> CaseTransition:
    """Move a case along the workflow, recording date, actor and note. A surrender may start
    monitoring in the same step: two recorded moves on the same day, together or not at all."""
    policy.require(actor, Action.TRANSITION, case)
    on = on or today()
    if start_monitoring and to != CaseStatus.SURRENDERED:
        raise ValidationError(
            {"start_monitoring": _("Monitoring starts in the same step only with a surrender.")}
        )
    with transaction.atomic():
        transition = _move(actor, case, to, on, note, closure_reason, version)
        if start_monitoring:
            _move(actor, case, CaseStatus.MONITORING_ACTIVE, on, "", "", None)
    return transition


def _move(
    actor: Actor, case: Case, to: str, on: datetime.date, note: str, closure_reason: str,
    version: int | None,
) -> CaseTransition:
    raise_errors(_transition_errors(case, to, on, closure_reason))
    _require_consultation(case, to)
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
