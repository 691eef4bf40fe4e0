"""Every write to case data: validated, checked against the policy and audited, in one place.

API views, web views, management commands and tasks all call these functions. Each takes the
acting user explicitly, raises `ValidationError` (400), `PermissionDenied` (403), `Http404` or
`Conflict` (409), and changes nothing when it raises.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from . import audit, policy
from .exceptions import Conflict
from .models import (
    Assurance,
    Case,
    CaseReferenceSequence,
    CaseTransition,
    Country,
    Membership,
    Offence,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)
from .models.cases import TRANSITIONS, CaseStatus
from .models.sharing import SHARED, TLP, TLP_CEILING, Distribution, opens_further
from .policy import Action, Resource
from .selectors import nationality_consultation
from .signals import case_transitioned, proceeding_recorded

User = get_user_model()
AuditAction = audit.Action
EARLIEST_DATE = datetime.date(1900, 1, 1)


class Operator:
    """A person at the server's command line: trusted to set up organisations and members."""

    def __init__(self, name: str = "operator"):
        self.name = name
        self.pk = None

    def __str__(self) -> str:
        return f"operator:{self.name}"


# --- shared mechanics ------------------------------------------------------------------------


def _today() -> datetime.date:
    return timezone.localdate()


def _check_past_dates(errors: dict, **dates: datetime.date | None) -> None:
    today = _today()
    for name, value in dates.items():
        if value is None:
            continue
        if value > today:
            errors[name] = _("This date is in the future.")
        elif value < EARLIEST_DATE:
            errors[name] = _("This date is before 1900.")


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _changed(obj, changes: dict[str, Any]) -> list[str]:
    return [name for name, value in changes.items() if getattr(obj, name) != value]


def _versioned_update(obj, version: int, changes: dict[str, Any]) -> list[str]:
    """Write `changes` only if `obj` is still at `version`; return the fields that changed."""
    changed = _changed(obj, changes)
    model = type(obj)
    stamp = {"updated_at": timezone.now()} if hasattr(obj, "updated_at") else {}
    updated = model._default_manager.filter(pk=obj.pk, version=version).update(
        **changes, **stamp, version=F("version") + 1
    )
    if not updated:
        current = model._default_manager.filter(pk=obj.pk).values_list("version", flat=True)
        raise Conflict(current.first())
    obj.refresh_from_db()
    return changed


def _require_version(version: int | None) -> int:
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
    return version


# --- organisations and members ---------------------------------------------------------------


def organisation_create(
    *, actor: Operator, slug: str, name: str, kind: str, country: Country
) -> Organisation:
    if not isinstance(actor, Operator) and not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only platform staff create organisations."))
    errors = {}
    if kind not in Organisation.Kind.values:
        errors["kind"] = _("Unknown kind. Choose one of: %(kinds)s.") % {
            "kinds": ", ".join(Organisation.Kind.values)
        }
    if Organisation.objects.filter(slug=slug).exists():
        errors["slug"] = _("An organisation with this slug exists.")
    _raise(errors)
    with transaction.atomic():
        organisation = Organisation.objects.create(slug=slug, name=name, kind=kind, country=country)
        audit.record(actor, AuditAction.CREATE, organisation)
    return organisation


def check_may_manage_members(actor, organisation: Organisation, role: str | None) -> None:
    if isinstance(actor, Operator):
        return
    if not policy.has_right(actor, organisation.pk, Resource.MEMBERSHIP, Action.VIEW):
        # Only reachable when naming an organisation (an existing membership of another
        # organisation is already invisible): refused like any value the caller may not use.
        raise ValidationError(
            {"organisation": _("Your role in this organisation does not allow this.")}
        )
    if not policy.has_right(actor, organisation.pk, Resource.MEMBERSHIP, Action.MANAGE_MEMBERS):
        raise PermissionDenied(_("Only the organisation's admins manage its members."))
    if role is not None and not policy.may_grant(actor, organisation.pk, role):
        raise PermissionDenied(_("You cannot grant a role above your own."))


def check_role(role: str) -> None:
    if role not in Membership.Role.values:
        raise ValidationError(
            {"role": _("Unknown role. Choose one of: %(roles)s.")
             % {"roles": ", ".join(Membership.Role.values)}}
        )


def _admins_left(organisation_id: int, without: Membership) -> bool:
    return (
        Membership.objects.filter(organisation_id=organisation_id, role=Membership.Role.ORG_ADMIN)
        .exclude(pk=without.pk)
        .exists()
    )


def check_may_join(organisation: Organisation, user) -> None:
    """Refuse an account that may not become a member of `organisation`."""
    if user.is_staff or user.is_superuser:
        raise ValidationError({"user": _(
            "Platform staff accounts never become members of an organisation: staff do not "
            "hold case data.")})
    if Membership.objects.filter(organisation=organisation, user=user).exists():
        raise ValidationError({"user": _("This person is already a member.")})


def belongs_elsewhere(organisation: Organisation, user) -> bool:
    return Membership.objects.filter(user=user).exclude(organisation=organisation).exists()


def membership_create(*, actor, organisation: Organisation, user, role: str) -> Membership:
    """Add a member. An account that belongs to another organisation joins only by accepting
    an invitation (`cases.invitations`), unless platform staff add it."""
    check_role(role)
    check_may_manage_members(actor, organisation, role)
    check_may_join(organisation, user)
    if not isinstance(actor, Operator) and belongs_elsewhere(organisation, user):
        raise ValidationError({"user": _(
            "This person belongs to another organisation: invite them instead; they become a "
            "member once they accept.")})
    with transaction.atomic():
        membership = Membership.objects.create(organisation=organisation, user=user, role=role)
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            detail={"user": user.username, "role": role, "change": "added"},
        )
    policy.forget(user)
    return membership


def membership_update(
    *, actor, membership: Membership, version: int | None, role: str | None = None
) -> Membership:
    role = role or membership.role
    check_role(role)
    check_may_manage_members(actor, membership.organisation, role)
    # Also the role being taken away must be one the actor could grant.
    check_may_manage_members(actor, membership.organisation, membership.role)
    if (
        membership.role == Membership.Role.ORG_ADMIN
        and role != Membership.Role.ORG_ADMIN
        and not _admins_left(membership.organisation_id, membership)
    ):
        raise ValidationError({"role": _("An organisation keeps at least one admin.")})
    with transaction.atomic():
        before = membership.role
        changed = _versioned_update(membership, _require_version(version), {"role": role})
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            changed_fields=changed,
            detail={"user": membership.user.username, "from": before, "to": role},
        )
    policy.forget(membership.user)
    return membership


def membership_delete(*, actor, membership: Membership) -> None:
    check_may_manage_members(actor, membership.organisation, membership.role)
    if membership.role == Membership.Role.ORG_ADMIN and not _admins_left(
        membership.organisation_id, membership
    ):
        raise ValidationError({"role": _("An organisation keeps at least one admin.")})
    with transaction.atomic():
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            membership,
            detail={"user": membership.user.username, "role": membership.role, "change": "removed"},
        )
        membership.delete()
    policy.forget(membership.user)


# --- sharing groups --------------------------------------------------------------------------


def _set_group_members(
    actor, group: SharingGroup, members: Iterable[Organisation]
) -> tuple[list[str], list[str]]:
    wanted = {org.pk: org for org in members}
    wanted[group.owner_id] = group.owner
    current = set(group.memberships.values_list("organisation_id", flat=True))
    added = [wanted[pk] for pk in wanted.keys() - current]
    removed = current - wanted.keys()
    SharingGroupMembership.objects.bulk_create(
        [SharingGroupMembership(group=group, organisation=org) for org in added]
    )
    SharingGroupMembership.objects.filter(group=group, organisation_id__in=removed).delete()
    removed_slugs = list(Organisation.objects.filter(pk__in=removed).values_list("slug", flat=True))
    added_slugs = [org.slug for org in added]
    entries = []
    if added_slugs:
        entries.append(audit.Entry(actor, AuditAction.SHARE, group, detail={"added": added_slugs}))
    if removed_slugs:
        entries.append(
            audit.Entry(actor, AuditAction.WITHDRAW, group, detail={"removed": removed_slugs})
        )
    audit.record_many(entries)
    return sorted(added_slugs), sorted(removed_slugs)


def sharing_group_create(
    *,
    actor,
    organisation: Organisation | None = None,
    name: str,
    description: str = "",
    members: Iterable[Organisation] = (),
) -> SharingGroup:
    owner = policy.acting_organisation(
        actor, Resource.SHARING_GROUP, organisation, Action.MANAGE_SHARING_GROUPS
    )
    if SharingGroup.objects.filter(owner=owner, name=name).exists():
        raise ValidationError({"name": _("Your organisation has a sharing group of this name.")})
    with transaction.atomic():
        group = SharingGroup.objects.create(owner=owner, name=name, description=description)
        audit.record(actor, AuditAction.CREATE, group)
        _set_group_members(actor, group, members)
    return group


def sharing_group_update(
    *, actor, group: SharingGroup, version: int | None, members=None, **changes
) -> SharingGroup:
    policy.require(actor, Action.MANAGE_SHARING_GROUPS, group)
    renamed = changes.get("name", group.name) != group.name
    if renamed and SharingGroup.objects.filter(owner=group.owner, name=changes["name"]).exists():
        raise ValidationError({"name": _("Your organisation has a sharing group of this name.")})
    if members is not None:
        leaving = set(group.memberships.values_list("organisation_id", flat=True)) - {
            org.pk for org in members
        } - {group.owner_id}
        if leaving and Case.objects.filter(sharing_group=group, owner_id__in=leaving).exists():
            raise ValidationError(
                {"members": _("An organisation that shares cases through this group cannot be "
                              "removed until those cases are shared otherwise.")}
            )
    with transaction.atomic():
        changed = _versioned_update(group, _require_version(version), changes)
        if members is not None:
            added, removed = _set_group_members(actor, group, members)
            if added or removed:
                changed.append("members")
        if changed:
            audit.record(actor, AuditAction.UPDATE, group, changed_fields=changed)
    return group


def sharing_group_leave(*, actor, group: SharingGroup, organisation: Organisation | None = None):
    """A member organisation leaves a group it does not own."""
    org = policy.acting_organisation(
        actor, Resource.SHARING_GROUP, organisation, Action.MANAGE_SHARING_GROUPS
    )
    if org.pk == group.owner_id:
        raise ValidationError({"organisation": _("The owner keeps its group; delete it instead.")})
    if not group.memberships.filter(organisation=org).exists():
        raise ValidationError({"organisation": _("Your organisation is not a member.")})
    if Case.objects.filter(sharing_group=group, owner=org).exists():
        raise ValidationError(
            {"organisation": _("Your organisation shares cases through this group: share them "
                               "otherwise first.")}
        )
    with transaction.atomic():
        group.memberships.filter(organisation=org).delete()
        audit.record_many(
            [
                audit.Entry(actor, AuditAction.WITHDRAW, group, organisation_id=org_id,
                            detail={"left": org.slug})
                for org_id in dict.fromkeys((org.pk, group.owner_id))
            ]
        )


def sharing_group_delete(*, actor, group: SharingGroup) -> None:
    policy.require(actor, Action.MANAGE_SHARING_GROUPS, group)
    if Case.objects.filter(sharing_group=group).exists():
        raise ValidationError(
            {"detail": _("Records are still shared through this group; share them otherwise "
                         "first.")}
        )
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETE, group)
        group.delete()


# --- subjects --------------------------------------------------------------------------------


def _validate_nationalities(nationalities: list[dict]) -> None:
    seen = set()
    for item in nationalities:
        key = (item["country"].pk, item.get("acquired_on"))
        if key in seen:
            raise ValidationError({"nationalities": _("A nationality is listed twice.")})
        seen.add(key)
        acquired, lost = item.get("acquired_on"), item.get("lost_on")
        errors: dict = {}
        _check_past_dates(errors, acquired_on=acquired, lost_on=lost)
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
    _check_past_dates(errors, date_of_birth=fields.get("date_of_birth"))
    _raise(errors)


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
        changed = _versioned_update(subject, _require_version(version), changes)
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


# --- cases -----------------------------------------------------------------------------------


def _next_case_reference(owner: Organisation) -> str:
    year = _today().year
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
    _check_past_dates(
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
    _raise(errors)


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
    version = _require_version(version)
    values = {name: getattr(case, name) for name in (*_CASE_DEFAULTS, "subject",
                                                    "requesting_state", "requested_state")}
    values.update(changes)
    _validate_case(case.owner_id, values)
    if named_recipients is not None:
        named_recipients = list(named_recipients)
        _validate_named_recipients(case.owner_id, named_recipients)
    before = _sharing(case)
    with transaction.atomic():
        changed = _versioned_update(case, version, changes)
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
    on = on or _today()
    errors: dict = {}
    allowed = TRANSITIONS[case.status]
    if to not in allowed:
        errors["to"] = (
            _("'%(status)s' is final: no transition leads out of it.") % {"status": case.status}
            if not allowed
            else _("A case at '%(status)s' can move only to: %(allowed)s.")
            % {"status": case.status, "allowed": ", ".join(allowed)}
        )
    _check_past_dates(errors, date=on)
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
    _raise(errors)

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
        match = Case.objects.filter(pk=case.pk, status=from_status)
        if version is not None:
            match = match.filter(version=version)
        if not match.update(
            **changes, version=F("version") + 1, updated_at=timezone.now()
        ):
            raise Conflict(Case.objects.filter(pk=case.pk).values_list("version", flat=True)[0])
        case.refresh_from_db()
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


# --- proceedings and assurances --------------------------------------------------------------


def _validate_proceeding(values: dict) -> None:
    errors: dict = {}
    is_consultation = values["kind"] == ProceedingEvent.Kind.NATIONALITY_CONSULTATION
    if is_consultation and values.get("consulted_state") is None:
        errors["consulted_state"] = _("Name the state of nationality that was informed.")
    if not is_consultation and values.get("consulted_state") is not None:
        errors["consulted_state"] = _("Only a nationality consultation names a consulted state.")
    if is_consultation:
        _check_past_dates(errors, date=values["date"])
    elif values["date"] < EARLIEST_DATE or values["date"] > _today() + datetime.timedelta(
        days=3 * 365
    ):
        errors["date"] = _("This date is out of range (1900 to three years ahead).")
    _raise(errors)


def _check_case_writable(actor, case: Case, resource: Resource) -> None:
    policy.require(actor, Action.VIEW, case)
    if not policy.has_right(actor, case.owner_id, resource, Action.CREATE):
        raise PermissionDenied(_("Only the owning organisation edits this case."))


def proceeding_create(*, actor, case: Case, **fields) -> ProceedingEvent:
    _check_case_writable(actor, case, Resource.PROCEEDING)
    _validate_proceeding(fields)
    with transaction.atomic():
        event = ProceedingEvent.objects.create(case=case, created_by=actor, **fields)
        audit.record(actor, AuditAction.CREATE, event, changed_fields=list(fields))
        proceeding_recorded.send(sender=ProceedingEvent, proceeding=event, actor=actor)
    return event


def proceeding_update(
    *, actor, proceeding: ProceedingEvent, version: int | None, **changes
) -> ProceedingEvent:
    policy.require(actor, Action.CHANGE, proceeding)
    values = {
        "kind": proceeding.kind,
        "date": proceeding.date,
        "consulted_state": proceeding.consulted_state,
        **changes,
    }
    _validate_proceeding(values)
    with transaction.atomic():
        changed = _versioned_update(proceeding, _require_version(version), changes)
        audit.record(actor, AuditAction.UPDATE, proceeding, changed_fields=changed)
    return proceeding


def proceeding_delete(*, actor, proceeding: ProceedingEvent) -> None:
    policy.require(actor, Action.DELETE, proceeding)
    _delete(actor, proceeding, {"kind": proceeding.kind})


def _validate_assurance(values: dict) -> None:
    errors: dict = {}
    if values["type"] != Assurance.Type.NO_DEATH_PENALTY and values.get("death_penalty_scope"):
        errors["death_penalty_scope"] = _("Only a no-death-penalty assurance has a scope.")
    _check_past_dates(errors, given_on=values.get("given_on"))
    _raise(errors)


def assurance_create(*, actor, case: Case, **fields) -> Assurance:
    _check_case_writable(actor, case, Resource.ASSURANCE)
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
        changed = _versioned_update(assurance, _require_version(version), changes)
        audit.record(actor, AuditAction.UPDATE, assurance, changed_fields=changed)
    return assurance


def _delete(actor, obj, detail: dict) -> None:
    """Delete a record unless other records refer to it: nothing stored is lost silently."""
    try:
        with transaction.atomic():
            audit.record(actor, AuditAction.DELETE, obj, detail=detail)
            obj.delete()
    except ProtectedError:
        raise ValidationError(
            {"detail": _("Other records (such as findings) refer to this one: it stays.")}
        ) from None


def assurance_delete(*, actor, assurance: Assurance) -> None:
    policy.require(actor, Action.DELETE, assurance)
    _delete(actor, assurance, {"type": assurance.type})


# --- sign-in ---------------------------------------------------------------------------------


def record_login(*, user, succeeded: bool, username: str = "") -> None:
    """A sign-in, in the log of each of the user's organisations (so their auditors see it).

    A failed attempt names the account only if one has that username: what was typed may
    be a password entered in the wrong field.
    """
    if succeeded:
        organisations = list(policy.roles(user)) or [None]
        audit.record_many(
            [audit.Entry(user, AuditAction.LOGIN, organisation_id=org) for org in organisations]
        )
        return
    account = User.objects.filter(username=username[:150]).first()
    organisations = (
        list(Membership.objects.filter(user=account).values_list("organisation_id", flat=True))
        if account
        else []
    ) or [None]
    detail = {"username": account.username if account else "(no such account)"}
    audit.record_many(
        [audit.Entry(None, AuditAction.LOGIN_FAILED, organisation_id=org, detail=detail)
         for org in organisations]
    )
