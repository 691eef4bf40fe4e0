"""What every write of the case register stands on: who acts, the fields a service takes,
dates checked, errors raised at once, the optimistic-concurrency update, and deletion that
loses nothing."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Model, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import audit, policy
from ..exceptions import Conflict
from ..models import Case
from ..models.sealed import sealed_changes
from ..policy import Action, Resource

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

AuditAction = audit.Action
EARLIEST_DATE = datetime.date(1900, 1, 1)


class Operator:
    """A person at the server's command line: trusted to set up organisations and members."""

    def __init__(self, name: str = "operator"):
        self.name = name
        self.pk = None

    def __str__(self) -> str:
        return f"operator:{self.name}"


Record = TypeVar("Record", bound=Model)

# Who writes: a signed-in user, or platform staff at the command line or in the admin.
Actor: TypeAlias = "AbstractBaseUser | Operator"


def declared(given: Mapping[str, Any], fields: type) -> dict[str, Any]:
    """The fields a caller gave, held to those the service declares (a TypedDict): a name it
    does not declare is refused as an unexpected keyword argument is, never written."""
    unknown = sorted(set(given) - set(fields.__annotations__))
    if unknown:
        raise TypeError(f"{fields.__name__} has no field {', '.join(unknown)}")
    return dict(given)


def today() -> datetime.date:
    return timezone.localdate()


def check_past_dates(errors: dict, **dates: datetime.date | None) -> None:
    latest = today()
    for name, value in dates.items():
        if value is None:
            continue
        if value > latest:
            errors[name] = _("This date is in the future.")
        elif value < EARLIEST_DATE:
            errors[name] = _("This date is before 1900.")


def raise_errors(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _changed(record: Model, changes: dict[str, Any]) -> list[str]:
    changed = []
    for name, value in changes.items():
        field = record._meta.get_field(name)
        if field.many_to_one:
            # By id: the related record need not be read to tell.
            now, value = getattr(record, field.attname), getattr(value, "pk", value)
        else:
            now = getattr(record, name)
        if now != value:
            changed.append(name)
    return changed


def versioned_update(
    record: Model, version: int | None, changes: dict[str, Any], **where: Any
) -> list[str]:
    """Write `changes` to `record` only if it is still at `version` (at any, when None) and
    matches `where`; otherwise raise `Conflict` and change nothing. The record is read again;
    the answer names the fields whose value changed."""
    changed = _changed(record, changes)
    rows = type(record)._default_manager.filter(pk=record.pk)
    match = rows.filter(**where) if version is None else rows.filter(version=version, **where)
    stamp = {"updated_at": timezone.now()} if hasattr(record, "updated_at") else {}
    if not match.update(**sealed_changes(record, changes), **stamp, version=F("version") + 1):
        raise Conflict(rows.values_list("version", flat=True).first())
    record.refresh_from_db()
    return changed


def audited_update(actor: Actor, record: Record, version: int | None, changes: dict) -> Record:
    """A versioned update of `record` and its audit event, together or not at all."""
    with transaction.atomic():
        changed = versioned_update(record, require_version(version), changes)
        audit.record(actor, AuditAction.UPDATE, record, changed_fields=changed)
    return record


def require_version(version: int | None) -> int:
    if version is None:
        raise ValidationError({"version": _("Send the version you loaded, to update.")})
    return version


def check_case_writable(actor: Actor, case: Case, resource: Resource) -> None:
    policy.require(actor, Action.VIEW, case)
    if not policy.has_right(actor, case.owner_id, resource, Action.CREATE):
        raise PermissionDenied(_("Only the owning organisation edits this case."))


def delete_unless_referred_to(actor: Actor, obj: Model, detail: dict) -> None:
    """Delete a record unless other records refer to it: nothing stored is lost silently."""
    try:
        with transaction.atomic():
            audit.record(actor, AuditAction.DELETE, obj, detail=detail)
            obj.delete()
    except ProtectedError:
        raise ValidationError(
            {"detail": _("Other records (such as findings) refer to this one: it stays.")}
        ) from None
