"""Re-wrapping every data key under the newest key-encryption key (`manage.py rotate_keys`).

Batches are small transactions that skip keys another run holds, so it runs beside the live
application and resumes where it stopped: what is left is simply what is not yet wrapped by
the newest key. Readers are never held up, since every configured key still unwraps.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from . import audit, crypto
from .models import DataKey


def pending():
    """Data keys not yet wrapped by the newest key-encryption key."""
    return DataKey.objects.filter(destroyed_at__isnull=True).exclude(kek=crypto.current_kek().id)


def rewrap_batch(size: int) -> tuple[int, int]:
    """Re-wrap up to `size` pending keys: (re-wrapped, left as they were because the key that
    wraps them is not configured)."""
    now = timezone.now()
    with transaction.atomic():
        keys = list(pending().filter(kek__in=crypto.kek_ids()).order_by("id")
                    .select_for_update(skip_locked=True)[:size])
        for key in keys:
            raw = crypto.unwrap(key.id, key.kek, bytes(key.wrapped))
            key.kek, key.wrapped = crypto.wrap(key.id, raw)
            key.rewrapped_at = now
        DataKey.objects.bulk_update(keys, ["kek", "wrapped", "rewrapped_at"])
    return len(keys), pending().exclude(kek__in=crypto.kek_ids()).count()


def rotate(*, batch_size: int = 500,
           progress: Callable[[int, int], None] | None = None) -> tuple[int, int]:
    """Re-wrap every pending key, batch by batch: (re-wrapped, left unwrappable)."""
    done = 0
    while True:
        count, stranded = rewrap_batch(batch_size)
        done += count
        if progress is not None and count:
            progress(done, pending().count())
        if not count:
            break
    audit.record(None, audit.Action.KEY_ROTATION, detail={
        "rewrapped": done, "key_encryption_key": crypto.current_kek().id,
        "left_unwrappable": stranded})
    return done, stranded
