"""Every write to case data: validated, checked against the policy and audited, in one place.

API views, web views, management commands and tasks all call these functions. Each takes the
acting user explicitly, raises `ValidationError` (400), `PermissionDenied` (403), `Http404` or
`Conflict` (409), and changes nothing when it raises. A module per kind of record; callers use
them as `services.<name>`.
"""

from .assurances import assurance_create, assurance_delete, assurance_update
from .cases import case_create, case_transition, case_update, validate_sharing
from .common import Actor, Operator, declared, raise_errors, require_version, versioned_update
from .erasure import organisation_retention_set, subject_erase
from .logins import record_login
from .organisations import (
    belongs_elsewhere,
    check_keeps_an_admin,
    check_may_join,
    check_may_manage_members,
    check_role,
    membership_create,
    membership_delete,
    membership_update,
    organisation_create,
    organisation_mfa_set,
    takes_last_admin,
)
from .proceedings import proceeding_create, proceeding_delete, proceeding_update
from .saved_filters import saved_filter_create, saved_filter_delete
from .sharing_groups import (
    check_sharing_group,
    sharing_group_create,
    sharing_group_delete,
    sharing_group_leave,
    sharing_group_update,
)
from .subjects import record_personal_data_views, subject_create, subject_update

__all__ = [
    "Actor",
    "Operator",
    "assurance_create",
    "assurance_delete",
    "assurance_update",
    "organisation_retention_set",
    "subject_erase",
    "belongs_elsewhere",
    "case_create",
    "case_transition",
    "case_update",
    "check_keeps_an_admin",
    "check_may_join",
    "check_may_manage_members",
    "check_role",
    "check_sharing_group",
    "declared",
    "membership_create",
    "membership_delete",
    "membership_update",
    "organisation_create",
    "organisation_mfa_set",
    "proceeding_create",
    "proceeding_delete",
    "proceeding_update",
    "raise_errors",
    "record_login",
    "record_personal_data_views",
    "require_version",
    "saved_filter_create",
    "saved_filter_delete",
    "sharing_group_create",
    "sharing_group_delete",
    "sharing_group_leave",
    "sharing_group_update",
    "subject_create",
    "subject_update",
    "takes_last_admin",
    "validate_sharing",
    "versioned_update",
]
