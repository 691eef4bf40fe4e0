"""Checkpoints of the audit chain's head, kept out of the database.

Whoever can rewrite the database (a table owner can lift any trigger) can empty the log or cut
its end and rewind the chain head so that the chain still verifies. The reminder sweep
therefore appends the head (sequence, hash, time) to a file in AUDIT_CHECKPOINT_DIR at each
run, and `verify_chain` holds the database to the last line: the log must still reach that
event, with that hash. The file is only ever appended to, one line per write.
"""

from __future__ import annotations

import datetime
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .models import AuditChainHead
from .models.audit import GENESIS_HASH

log = logging.getLogger(__name__)

FILE_NAME = "audit-chain-checkpoints.jsonl"
# A checkpoint line is about 130 bytes: the last complete one lies within this tail.
TAIL_BYTES = 4096


class CheckpointUnreadable(ValueError):
    """The checkpoint file's last line is not a checkpoint: it was edited or damaged."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime.datetime

    def line(self) -> bytes:
        fields = {"seq": self.seq, "hash": self.hash, "at": self.at.isoformat()}
        return (json.dumps(fields, separators=(",", ":")) + "\n").encode()

    @classmethod
    def parse(cls, line: bytes) -> Checkpoint:
        try:
            fields = json.loads(line)
            at = datetime.datetime.fromisoformat(fields["at"])
            seq, hash_ = fields["seq"], fields["hash"]
        except (ValueError, TypeError, KeyError) as error:
            raise CheckpointUnreadable(f"not a checkpoint: {line[:80]!r}") from error
        if (not isinstance(seq, int) or seq < 0 or not isinstance(hash_, str)
                or len(hash_) != 64 or at.tzinfo is None):
            raise CheckpointUnreadable(f"not a checkpoint: {line[:80]!r}")
        return cls(seq=seq, hash=hash_, at=at.astimezone(datetime.UTC))

    def describe(self) -> str:
        return f"the checkpoint of {self.at:%Y-%m-%d %H:%M:%S} UTC"


def checkpoint_file() -> Path:
    return Path(settings.AUDIT_CHECKPOINT_DIR) / FILE_NAME


def write_checkpoint(*, now: datetime.datetime | None = None) -> Checkpoint | None:
    """Append the committed chain head to the checkpoint file; None (logged) if it cannot.

    Call it outside a transaction: a head that could still be rolled back must not be
    recorded. A folder that cannot be written must not stop the reminders that call this.
    """
    seq, hash_ = AuditChainHead.objects.filter(pk=1).values_list(
        "last_seq", "last_hash").first() or (0, GENESIS_HASH)
    checkpoint = Checkpoint(seq=seq, hash=hash_, at=(now or timezone.now()).astimezone(
        datetime.UTC))
    path = checkpoint_file()
    try:
        path.parent.mkdir(mode=0o750, parents=True, exist_ok=True)
        append_line(path, checkpoint.line())
    except OSError as error:
        log.error("audit checkpoint of event #%s not written to %s: %s", seq, path, error)
        return None
    return checkpoint


def append_line(path: Path, line: bytes) -> None:
    """One write on an O_APPEND descriptor: lines of concurrent writers never interleave, and
    nothing already in the file is ever rewritten."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        written = os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
    if written != len(line):
        raise OSError(f"only {written} of {len(line)} bytes written")


def last_checkpoint() -> Checkpoint | None:
    """The last complete line of the checkpoint file; None when there is none yet."""
    try:
        with checkpoint_file().open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - TAIL_BYTES))
            tail = file.read()
    except FileNotFoundError:
        return None
    # A line without its newline is a write cut short: the one before it stands.
    complete = tail[: tail.rfind(b"\n") + 1].splitlines()
    if size > TAIL_BYTES:
        complete = complete[1:]  # the tail's first line may start mid-line
    if not complete:
        if size > TAIL_BYTES:
            raise CheckpointUnreadable(f"no checkpoint line in the last {TAIL_BYTES} bytes")
        return None
    return Checkpoint.parse(complete[-1])
