"""Writing and verifying the hash-chained audit log."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import policy
from .audit_checkpoints import Checkpoint, CheckpointUnreadable, checkpoint_file, last_checkpoint
from .models import AuditChainHead, AuditEvent
from .models.audit import GENESIS_HASH
from .request_id import request_id_var

Action = AuditEvent.Action


@dataclass(frozen=True)
class Entry:
    actor: object | None
    action: str
    obj: object | None = None
    organisation_id: int | None = None
    changed_fields: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


def describe(obj) -> tuple[str, str, str]:
    """(type, id, reference) of an object, never with personal data in it."""
    if obj is None:
        return "", "", ""
    model = type(obj)._meta.model_name
    reference = getattr(obj, "reference", None)
    if reference is None:
        case = getattr(obj, "case", None)
        reference = f"{case.reference} {model}" if case is not None else str(obj)
    return model, str(obj.pk), str(reference)[:200]


def _organisation_of(obj) -> int | None:
    try:
        return policy.owner_of(obj)
    except LookupError:
        return None


def record_many(entries: list[Entry]) -> list[AuditEvent]:
    """Append events to the chain, in order, under the chain-head lock."""
    if not entries:
        return []
    request_id = request_id_var.get()
    now = timezone.now()
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev = head.last_seq, head.last_hash
        events = []
        for entry in entries:
            object_type, object_id, object_repr = describe(entry.obj)
            actor = entry.actor if getattr(entry.actor, "pk", None) else None
            seq += 1
            event = AuditEvent(
                seq=seq,
                at=now,
                actor=actor,
                actor_username=getattr(actor, "username", "") or _operator_name(entry.actor),
                organisation_id=(
                    entry.organisation_id
                    if entry.organisation_id is not None
                    else _organisation_of(entry.obj)
                    if entry.obj is not None
                    else None
                ),
                action=entry.action,
                object_type=object_type,
                object_id=object_id,
                object_repr=object_repr,
                changed_fields=sorted(entry.changed_fields),
                detail=entry.detail,
                request_id=request_id,
                prev_hash=prev,
            )
            event.hash = event.compute_hash()
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
    return events


def record(actor, action: str, obj=None, **kwargs) -> AuditEvent:
    return record_many([Entry(actor=actor, action=action, obj=obj, **kwargs)])[0]


def _operator_name(actor) -> str:
    return str(actor) if actor is not None else ""


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    # The checkpoint out of the database the log was held to; None when there is none yet.
    checkpoint: Checkpoint | None = None


def verify_chain() -> ChainReport:
    """Walk the chain from the first event; report the first broken link, then whether the log
    still reaches the chain head and the last checkpoint with the same hashes."""
    # Read before the walk, so that events appended meanwhile cannot look like a cut.
    try:
        checkpoint, unreadable = last_checkpoint(), ""
    except CheckpointUnreadable as error:
        checkpoint, unreadable = None, str(error)
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    hash_at_checkpoint = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, f"event #{expected_seq} is missing"
            )
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, checked, event.seq, "its previous-hash does not match the event before it"
            )
        if event.compute_hash() != event.hash:
            return ChainReport(False, checked, event.seq, "its content does not match its hash")
        if checkpoint is not None and event.seq == checkpoint.seq:
            hash_at_checkpoint = event.hash
        expected_prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    head = AuditChainHead.objects.filter(pk=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.last_seq, head.last_hash) != (last_seq, expected_prev):
        return ChainReport(
            False,
            checked,
            last_seq + 1,
            f"the chain head records event #{head.last_seq}, but the log ends at #{last_seq}",
        )
    if unreadable:
        return ChainReport(
            False, checked, None, f"the last checkpoint in {checkpoint_file()} cannot be read "
            f"({unreadable})"
        )
    if checkpoint is not None and checkpoint.seq > last_seq:
        ends = f"ends at #{last_seq}" if last_seq else "is empty"
        return ChainReport(
            False, checked, last_seq + 1,
            f"the log {ends}, but {checkpoint.describe()} records event #{checkpoint.seq}: "
            "events were removed", checkpoint,
        )
    if checkpoint is not None and hash_at_checkpoint != checkpoint.hash:
        return ChainReport(
            False, checked, checkpoint.seq,
            f"its hash differs from {checkpoint.describe()}: the log was rewritten", checkpoint,
        )
    return ChainReport(True, checked, checkpoint=checkpoint)


# Migration 0008's SQLite triggers call this function before a change to the log; a connection
# that lacks it (the sqlite3 shell) cannot run them and is refused.
SQLITE_WIPE_ESCAPE = "extradition_monitor_allow_audit_wipe"


def _audit_wipe_allowed() -> int:
    # Read at each call, so that a test can close the escape on an open connection.
    return int(bool(settings.AUDIT_LOG_WIPE_ALLOWED))


def register_sqlite_wipe_escape(sender, connection, **kwargs) -> None:
    """connection_created: give each SQLite connection the function the triggers ask."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_WIPE_ESCAPE, 0, _audit_wipe_allowed)
