"""Who may see and do what: the one place that decides.

Every query of case data starts here, from `visible(user, Model)` (or `restrict(queryset,
user)` to narrow a queryset in hand), and every write is checked with `require()` before a
service touches the database. A record a user may not see is simply absent: a 404, missing from
lists, counts, filters and exports. The models know nothing of the policy: it imports them.

Visibility is built from subqueries over memberships, never from lists of ids held in Python,
and platform staff get nothing from being staff: only memberships open records.

Each app lists the rules of its records in its own `policy.py` (`RULES`: a named function per
kind of record, beside the records it restricts); `register_installed_apps()` joins them here
when the apps are ready, and `restrict()` enforces them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext as _

from .models import (
    Assurance,
    AuditEvent,
    Case,
    CaseTransition,
    Country,
    Invitation,
    LegalInstrument,
    Membership,
    Offence,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    SharingGroupMembership,
    Subject,
    SubjectNationality,
)
from .models.sharing import TLP, Distribution, labels_allowing

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Role = Membership.Role


class Action(StrEnum):
    VIEW = "view"
    CREATE = "create"
    CHANGE = "change"
    DELETE = "delete"
    TRANSITION = "transition"
    VIEW_IDENTIFIERS = "view_identifiers"
    MANAGE_MEMBERS = "manage_members"
    MANAGE_SHARING_GROUPS = "manage_sharing_groups"
    VIEW_AUDIT = "view_audit"
    # Pass a record shared with the organisation on (where its label allows).
    SHARE = "share"
    # Comment on a record shared with the organisation.
    COMMENT = "comment"
    # Erase a subject's identifiers for good (its data key destroyed).
    ERASE = "erase"


class Resource(StrEnum):
    CASE = "case"
    SUBJECT = "subject"
    ASSURANCE = "assurance"
    PROCEEDING = "proceeding"
    SHARING_GROUP = "sharing_group"
    MEMBERSHIP = "membership"
    AUDIT_EVENT = "audit_event"
    # Monitoring after surrender: plans, follow-ups, check reports, findings, evidence.
    MONITORING = "monitoring"
    # A user's own notifications.
    NOTIFICATION = "notification"
    # Files taken out of the system: the requester's own, and its organisation's for auditors.
    EXPORT = "export"
    # Spreadsheets brought in (imports): the importer's own, and its organisation's for admins.
    IMPORT = "import"
    # Directory and reference data: readable by every signed-in user, written by staff only.
    ORGANISATION = "organisation"
    REFERENCE = "reference"
    # The signed-in user's own account.
    SELF = "self"


A = Action
_EDIT = frozenset({A.VIEW, A.CREATE, A.CHANGE, A.DELETE})
_READ = frozenset({A.VIEW})

# What each role may do to its own organisation's records. Other organisations' records are
# at most readable, and only through their distribution.
RIGHTS: dict[Resource, dict[str, frozenset[Action]]] = {
    Resource.CASE: {
        Role.CASEWORKER: frozenset({A.VIEW, A.CREATE, A.CHANGE, A.TRANSITION}),
        Role.LIAISON: frozenset({A.VIEW, A.TRANSITION}),
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: frozenset({A.VIEW, A.CREATE, A.CHANGE, A.TRANSITION}),
    },
    Resource.SUBJECT: {
        Role.CASEWORKER: frozenset({A.VIEW, A.CREATE, A.CHANGE, A.VIEW_IDENTIFIERS}),
        Role.LIAISON: frozenset({A.VIEW, A.VIEW_IDENTIFIERS}),
        # Auditors check compliance, not identities: they see the pseudonymous reference.
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: frozenset({A.VIEW, A.CREATE, A.CHANGE, A.VIEW_IDENTIFIERS, A.ERASE}),
    },
    Resource.ASSURANCE: {
        Role.CASEWORKER: _EDIT,
        Role.LIAISON: _READ,
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: _EDIT,
    },
    Resource.PROCEEDING: {
        Role.CASEWORKER: _EDIT,
        Role.LIAISON: _EDIT,
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: _EDIT,
    },
    Resource.SHARING_GROUP: {
        Role.CASEWORKER: _READ,
        Role.LIAISON: _READ,
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: _EDIT | {A.MANAGE_SHARING_GROUPS},
    },
    Resource.MEMBERSHIP: {
        Role.CASEWORKER: _READ,
        Role.LIAISON: _READ,
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: _EDIT | {A.MANAGE_MEMBERS},
    },
    Resource.AUDIT_EVENT: {
        Role.AUDITOR: frozenset({A.VIEW, A.VIEW_AUDIT}),
        Role.ORG_ADMIN: frozenset({A.VIEW, A.VIEW_AUDIT}),
    },
    Resource.MONITORING: {
        Role.CASEWORKER: _EDIT | {A.COMMENT},
        Role.LIAISON: _READ | {A.SHARE, A.COMMENT},
        Role.AUDITOR: _READ,
        Role.ORG_ADMIN: _EDIT | {A.SHARE, A.COMMENT},
    },
    # Every role may take out what it sees; only auditors read the files of colleagues.
    Resource.EXPORT: {
        Role.CASEWORKER: frozenset({A.VIEW, A.CREATE}),
        Role.LIAISON: frozenset({A.VIEW, A.CREATE}),
        Role.AUDITOR: frozenset({A.VIEW, A.CREATE, A.VIEW_AUDIT}),
        Role.ORG_ADMIN: frozenset({A.VIEW, A.CREATE}),
    },
}

RIGHTS[Resource.IMPORT] = {
    # Those who create cases bring them in; an org admin also sees its colleagues' imports.
    Role.CASEWORKER: frozenset({A.VIEW, A.CREATE}),
    Role.ORG_ADMIN: frozenset({A.VIEW, A.CREATE, A.VIEW_AUDIT}),
}

# A role may only grant roles of at most its own rank.
ROLE_RANK = {Role.AUDITOR: 1, Role.LIAISON: 2, Role.CASEWORKER: 2, Role.ORG_ADMIN: 3}

@dataclass(frozen=True)
class Rule:
    """A kind of record under the policy: the resource whose rights govern it, the function
    that narrows a queryset of it to what a user may see, and, where owners may let records
    count beyond that, the one that narrows it to what counts in the user's aggregates."""

    model: type
    resource: Resource
    visible: Callable[[QuerySet, Any], QuerySet]
    counted: Callable[[QuerySet, Any], QuerySet] | None = None


_RULES: dict[type, Rule] = {}


def register(*rules: Rule) -> None:
    for rule in rules:
        _RULES[rule.model] = rule


def register_installed_apps() -> None:
    """Register the `RULES` of every installed app's `policy` module, this one's included:
    each app keeps its rules beside its records, and they join the policy here."""
    for config in apps.get_app_configs():
        if module_has_submodule(config.module, "policy"):
            register(*getattr(import_module(f"{config.name}.policy"), "RULES", ()))


def _rule(model: type) -> Rule:
    try:
        return _RULES[model]
    except KeyError:
        raise LookupError(f"{model.__name__} has no access policy") from None


def resource_of(model: type) -> Resource:
    return _rule(model).resource


# --- who the user is -------------------------------------------------------------------------


def roles(user: AbstractBaseUser | None) -> dict[int, str]:
    """The user's role in each of its organisations, read once per user object."""
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    # Platform staff never hold case data, even through a membership made behind the
    # services' back.
    if user.is_staff or user.is_superuser:
        return {}
    cached = getattr(user, "_policy_roles", None)
    if cached is None:
        cached = dict(Membership.objects.filter(user=user).values_list("organisation_id", "role"))
        user._policy_roles = cached
    return cached


def forget(user) -> None:
    """Drop the cached roles, after the user's memberships changed."""
    if hasattr(user, "_policy_roles"):
        del user._policy_roles


def has_right(user, organisation_id: int | None, resource: Resource, action: Action) -> bool:
    role = roles(user).get(organisation_id)
    return role is not None and action in RIGHTS.get(resource, {}).get(role, frozenset())


def organisations_with(user, resource: Resource, action: Action) -> list[int]:
    return [org for org in roles(user) if has_right(user, org, resource, action)]


def _my_organisations(user) -> QuerySet:
    uid = user.pk if user is not None and user.is_authenticated and user.is_active and not (
        user.is_staff or user.is_superuser) else None
    return Membership.objects.filter(user_id=uid).values("organisation_id")


# --- what the user may see -------------------------------------------------------------------


def groups_of(user) -> QuerySet:
    """The sharing groups the user's organisations belong to (a subquery)."""
    return SharingGroupMembership.objects.filter(
        organisation_id__in=_my_organisations(user)
    ).values("group_id")


def shared_with(user, prefix: str = "") -> Q:
    """Rows whose own distribution and label reach the user from outside their owner: the
    label's ceiling holds whatever the distribution says."""
    p = prefix
    return Q(
        **{
            f"{p}distribution": Distribution.SHARING_GROUP,
            f"{p}sharing_group_id__in": groups_of(user),
            f"{p}tlp__in": labels_allowing(Distribution.SHARING_GROUP),
        }
    ) | Q(
        **{
            f"{p}distribution": Distribution.NETWORK,
            f"{p}tlp__in": labels_allowing(Distribution.NETWORK),
        }
    )


def case_condition(user, prefix: str = "") -> Q:
    """The condition on Case rows (reached through `prefix`, say `finding__case__`) the user
    may see, checked on each row read: for records of a few cases, where the list of every
    case the user sees (`visible_case_ids`) would cost more than they do."""
    p = prefix
    mine = _my_organisations(user)
    named = Case.named_recipients.through.objects.filter(
        case_id=OuterRef(f"{p}pk" if p else "pk"),
        user_id=user.pk if user is not None and user.is_authenticated else None,
    )
    own = Q(**{f"{p}owner_id__in": mine}) & (~Q(**{f"{p}tlp": TLP.RED}) | Exists(named))
    # Network-wide means every organisation: a user without a membership is in none of them.
    return own | (shared_with(user, prefix) & Exists(mine))


def my_organisations(user) -> QuerySet:
    return _my_organisations(user)


def visible_case_ids(user) -> QuerySet:
    return Case.objects.filter(case_condition(user)).values("pk")


def restrict(qs: QuerySet, user) -> QuerySet:
    """`qs` narrowed to the rows `user` may see."""
    rule = _rule(qs.model)
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    return rule.visible(qs, user)


def for_aggregates(qs: QuerySet, user) -> QuerySet:
    """`qs` narrowed to the rows that count in `user`'s aggregates: what it may see, plus what
    owners shared as aggregates only. Never used to show a row, only to count."""
    rule = _rule(qs.model)
    if user is None or not user.is_authenticated or not user.is_active:
        return qs.none()
    return (rule.counted or rule.visible)(qs, user)


# --- the rules of the case register, one per kind of record -----------------------------------


def cases(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(case_condition(user))


def by_case(queryset: QuerySet, user) -> QuerySet:
    """Records of a case: seen with the case."""
    return queryset.filter(case_id__in=visible_case_ids(user))


def subjects(queryset: QuerySet, user) -> QuerySet:
    """A subject is seen through a case the user may see: by the owner's members (with its
    identifiers, for the roles that read them) and as a pseudonym by recipients. A subject
    whose only cases are RED is seen by their named people alone; one with no case yet by the
    owner's members."""
    # Each subject's cases are looked up by its own id (an index probe) where few subjects are
    # read, a page's or a search's; the database hashes every case the user sees where many are.
    return queryset.filter(
        Exists(Case.objects.filter(case_condition(user), subject_id=OuterRef("pk")))
        | (
            Q(owner_id__in=_my_organisations(user))
            & ~Exists(Case.objects.filter(subject_id=OuterRef("pk")))
        )
    )


def nationalities(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(subject__in=subjects(Subject.objects.all(), user).values("pk"))


def sharing_groups(queryset: QuerySet, user) -> QuerySet:
    """Member lists are visible to members only; the owner is always a member."""
    return queryset.filter(pk__in=groups_of(user))


def memberships(queryset: QuerySet, user) -> QuerySet:
    return queryset.filter(organisation_id__in=_my_organisations(user))


def invitations(queryset: QuerySet, user) -> QuerySet:
    """The invited account, and the admins of the organisation that invites."""
    return queryset.filter(
        Q(user_id=user.pk)
        | Q(organisation_id__in=organisations_with(user, Resource.MEMBERSHIP, A.MANAGE_MEMBERS))
    )


def audit_events(queryset: QuerySet, user) -> QuerySet:
    # From the cached roles: at most a handful of ids.
    return queryset.filter(
        organisation_id__in=organisations_with(user, Resource.AUDIT_EVENT, A.VIEW_AUDIT)
    )


def everyone(queryset: QuerySet, user) -> QuerySet:
    """Directory and reference data: read by every signed-in user."""
    return queryset


RULES = (
    Rule(Case, Resource.CASE, cases),
    Rule(Offence, Resource.CASE, by_case),
    Rule(CaseTransition, Resource.CASE, by_case),
    Rule(Subject, Resource.SUBJECT, subjects),
    Rule(SubjectNationality, Resource.SUBJECT, nationalities),
    Rule(Assurance, Resource.ASSURANCE, by_case),
    Rule(ProceedingEvent, Resource.PROCEEDING, by_case),
    Rule(SharingGroup, Resource.SHARING_GROUP, sharing_groups),
    Rule(Membership, Resource.MEMBERSHIP, memberships),
    Rule(Invitation, Resource.MEMBERSHIP, invitations),
    Rule(AuditEvent, Resource.AUDIT_EVENT, audit_events),
    Rule(Organisation, Resource.ORGANISATION, everyone),
    Rule(Country, Resource.REFERENCE, everyone),
    Rule(LegalInstrument, Resource.REFERENCE, everyone),
)


def visible(user, model: type) -> QuerySet:
    return restrict(model._default_manager.all(), user)


# --- what the user may do --------------------------------------------------------------------


def owner_of(obj) -> int | None:
    """The organisation whose record `obj` is."""
    if isinstance(obj, Organisation):
        return obj.pk
    if isinstance(obj, Case | Subject | SharingGroup):
        return obj.owner_id
    if isinstance(obj, Membership | AuditEvent | Invitation):
        return obj.organisation_id
    if hasattr(obj, "owner_organisation_id"):
        return obj.owner_organisation_id
    case = getattr(obj, "case", None)
    if case is not None:
        return case.owner_id
    subject = getattr(obj, "subject", None)
    if subject is not None:
        return subject.owner_id
    raise LookupError(f"{type(obj).__name__} has no owner rule")


def is_owner(user, obj) -> bool:
    """Whether `user` is a member of the organisation whose record `obj` is."""
    return owner_of(obj) in roles(user)


def can(user, action: Action, obj) -> bool:
    resource = resource_of(type(obj))
    if action == A.VIEW:
        return restrict(type(obj)._default_manager.filter(pk=obj.pk), user).exists()
    return has_right(user, owner_of(obj), resource, action)


def require(user, action: Action, obj) -> None:
    """Raise 404 when `obj` is not visible to `user`, 403 when visible but not `action`-able."""
    if not restrict(type(obj)._default_manager.filter(pk=obj.pk), user).exists():
        raise Http404
    if action != A.VIEW and not has_right(user, owner_of(obj), resource_of(type(obj)), action):
        raise PermissionDenied(_("Your role does not allow this."))


def can_view_identifiers(user, subject: Subject) -> bool:
    return has_right(user, subject.owner_id, Resource.SUBJECT, A.VIEW_IDENTIFIERS)


def acting_organisation(
    user, resource: Resource, organisation: Organisation | None = None, action: Action = A.CREATE
) -> Organisation:
    """The organisation a user creates a record for: the one named, or its only fitting one."""
    allowed = organisations_with(user, resource, action)
    if organisation is not None:
        if organisation.pk not in allowed:
            raise ValidationError(
                {"organisation": _("Your role in this organisation does not allow this.")}
            )
        return organisation
    if not allowed:
        raise PermissionDenied(_("None of your roles allows this."))
    if len(allowed) > 1:
        raise ValidationError(
            {"organisation": _("You belong to several organisations: name the acting one.")}
        )
    return Organisation.objects.get(pk=allowed[0])


def may_grant(user, organisation_id: int, role: str) -> bool:
    own = roles(user).get(organisation_id)
    return (
        has_right(user, organisation_id, Resource.MEMBERSHIP, A.MANAGE_MEMBERS)
        and ROLE_RANK[role] <= ROLE_RANK[own]
    )

