"""The data keys in use, unwrapped once per request or task and forgotten with it.

Sealed values (`cases.models.sealed`) name their data key. Each value read from the database
announces its key here; the first value opened then loads every announced key in one query,
so a list of fifty cases costs one more query, not fifty. A request (`KeyringMiddleware`) and a
Celery task each open a scope of their own, whose keys are dropped when it ends; work outside
any scope (a shell, a management command) shares one for the process.
"""

from __future__ import annotations

import contextlib
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

from . import crypto

_BATCH = 500


@dataclass
class _Ring:
    keys: dict[uuid.UUID, bytes | None] = field(default_factory=dict)
    pending: set[uuid.UUID] = field(default_factory=set)


_scoped: ContextVar[_Ring | None] = ContextVar("keyring", default=None)
_process = _Ring()


def _ring() -> _Ring:
    return _scoped.get() or _process


@contextlib.contextmanager
def scope():
    """A keyring of its own for the block: keys unwrapped in it are forgotten after it."""
    token = _scoped.set(_Ring())
    try:
        yield
    finally:
        _scoped.reset(token)


_open_scopes: dict[str, Token] = {}


def begin(name: str) -> None:
    """Open a scope named `name` (a task's id), to be closed by `end(name)`: for work whose
    start and end are two callbacks, as a Celery task's are."""
    _open_scopes[name] = _scoped.set(_Ring())


def end(name: str) -> None:
    token = _open_scopes.pop(name, None)
    if token is not None:
        _scoped.reset(token)


def expect(key_id: uuid.UUID) -> None:
    ring = _ring()
    if key_id not in ring.keys:
        ring.pending.add(key_id)


def _load(ring: _Ring) -> None:
    from .models.keys import DataKey

    wanted = list(ring.pending)
    ring.pending.clear()
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start:start + _BATCH]
        for key_id in batch:
            ring.keys[key_id] = None
        for key_id, kek, wrapped in DataKey.objects.filter(id__in=batch).values_list(
                "id", "kek", "wrapped"):
            try:
                ring.keys[key_id] = crypto.unwrap(key_id, kek, bytes(wrapped))
            except crypto.KeyUnavailable:
                ring.keys[key_id] = None


def data_key(key_id: uuid.UUID) -> bytes | None:
    """The unwrapped data key, or None when it was destroyed or cannot be unwrapped."""
    ring = _ring()
    if key_id not in ring.keys:
        ring.pending.add(key_id)
        _load(ring)
    return ring.keys[key_id]


def remember(key_id: uuid.UUID, key: bytes) -> None:
    _ring().keys[key_id] = key


def release(key_ids) -> None:
    """Drop keys this scope no longer needs (they are not destroyed: the next use reads them
    again), so that a long task writing many subjects does not hold every key it made."""
    ring = _ring()
    for key_id in key_ids:
        ring.keys.pop(key_id, None)
        ring.pending.discard(key_id)


def forget(key_id: uuid.UUID) -> None:
    """Drop a destroyed key from this process's keyrings."""
    for ring in (_ring(), _process):
        ring.keys[key_id] = None
        ring.pending.discard(key_id)


def key_for(subject) -> tuple[uuid.UUID, bytes]:
    """The id and key that seal new values of `subject`: its data key, made on first use and
    made anew if the one it had was destroyed."""
    from .models.keys import DataKey

    if subject.data_key_id is not None:
        key = data_key(subject.data_key_id)
        if key is not None:
            return subject.data_key_id, key
    key = crypto.new_data_key()
    made = DataKey.objects.create_for(key)
    remember(made.id, key)
    subject.data_key = made
    if subject.pk is not None and not subject._state.adding:
        type(subject).objects.filter(pk=subject.pk).update(data_key=made)
    return made.id, key


def reveal(stored: str, column: str) -> str | None:
    """The plaintext of a sealed value, or None when its key is gone."""
    key_id = crypto.key_id_of(stored)
    if key_id is None:
        return None
    key = data_key(key_id)
    if key is None:
        return None
    try:
        return crypto.open_sealed(stored, key, column)
    except crypto.KeyUnavailable:
        return None


class KeyringMiddleware:
    """Each request unwraps the keys it needs, and forgets them when it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with scope():
            return self.get_response(request)
