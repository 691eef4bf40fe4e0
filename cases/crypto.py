"""Encryption of identifiers at rest: envelope encryption and a keyed name index.

Each subject has a data key of its own (`DataKey`), 256 random bits, stored only wrapped:
encrypted with AES-256-GCM under a key-encryption key (KEK) from the environment
(`FIELD_ENCRYPTION_KEYS`, newest first). Every identifying value of the subject and of its
cases' free text is sealed with AES-256-GCM under that data key, bound to its column by the
associated data. Destroying the data key makes every copy of those values unreadable.

A sealed value is stored as text: `em1:<data key id>:<nonce and ciphertext, base64>`.

Names are found again through a blind index: HMAC-SHA256 under `BLIND_INDEX_KEY` of the
normalised whole name and of each of its words, so an exact name or a word of it matches
without the name being stored anywhere readable.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
import uuid
from dataclasses import dataclass
from functools import cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

PREFIX = "em1:"
_NONCE = 12


class KeyUnavailable(Exception):
    """A data key that was destroyed, or wrapped by a key-encryption key no longer configured."""


@dataclass(frozen=True)
class Kek:
    id: str  # a fingerprint: the first 16 hex digits of the key's SHA-256
    aead: AESGCM


def _decode_key(text: str, name: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"=" * (-len(text.strip()) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(
            f"{name}: each key is 32 random bytes in URL-safe base64 (44 characters), e.g. "
            "from `python -c \"import base64,os;print(base64.urlsafe_b64encode(os.urandom(32))"
            ".decode())\"`."
        )
    return key


@cache
def _keks(configured: tuple[str, ...]) -> tuple[Kek, ...]:
    keks = []
    for text in configured:
        if not text.strip():
            continue
        key = _decode_key(text, "FIELD_ENCRYPTION_KEYS")
        keks.append(Kek(hashlib.sha256(key).hexdigest()[:16], AESGCM(key)))
    if not keks:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds no key.")
    return tuple(keks)


def keks() -> tuple[Kek, ...]:
    """The configured key-encryption keys, newest first."""
    return _keks(tuple(settings.FIELD_ENCRYPTION_KEYS))


def current_kek() -> Kek:
    return keks()[0]


def kek_ids() -> list[str]:
    return [kek.id for kek in keks()]


def _wrap_aad(key_id: uuid.UUID) -> bytes:
    return b"data-key:" + key_id.hex.encode()


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def wrap(key_id: uuid.UUID, data_key: bytes) -> tuple[str, bytes]:
    """(id of the KEK used, the data key wrapped under the newest KEK)."""
    kek = current_kek()
    nonce = os.urandom(_NONCE)
    return kek.id, nonce + kek.aead.encrypt(nonce, data_key, _wrap_aad(key_id))


def unwrap(key_id: uuid.UUID, kek_id: str, wrapped: bytes) -> bytes:
    kek = next((k for k in keks() if k.id == kek_id), None)
    if kek is None or not wrapped:
        raise KeyUnavailable(str(key_id))
    try:
        return kek.aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _wrap_aad(key_id))
    except InvalidTag as error:
        raise KeyUnavailable(str(key_id)) from error


def seal(plaintext: str, key_id: uuid.UUID, data_key: bytes, column: str) -> str:
    nonce = os.urandom(_NONCE)
    body = AESGCM(data_key).encrypt(nonce, plaintext.encode(), column.encode())
    return f"{PREFIX}{key_id.hex}:{base64.urlsafe_b64encode(nonce + body).decode()}"


def key_id_of(stored: str) -> uuid.UUID | None:
    """The data key a stored value was sealed with; None for what is not a sealed value."""
    if not stored.startswith(PREFIX):
        return None
    try:
        return uuid.UUID(hex=stored[len(PREFIX):len(PREFIX) + 32])
    except ValueError:
        return None


def open_sealed(stored: str, data_key: bytes, column: str) -> str:
    blob = base64.urlsafe_b64decode(stored[len(PREFIX) + 33:])
    try:
        return AESGCM(data_key).decrypt(blob[:_NONCE], blob[_NONCE:], column.encode()).decode()
    except InvalidTag as error:
        raise KeyUnavailable(stored[:len(PREFIX) + 32]) from error


# The blind index of names.

_WORD = re.compile(r"\w+")


def normalise(name: str) -> str:
    """Case, accents, width and spacing folded: "  Müller-LIN " and "muller lin" are one."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORD.findall(bare.casefold()))


@cache
def _index_key(configured: str) -> bytes:
    return _decode_key(configured, "BLIND_INDEX_KEY")


def _digest(kind: str, text: str) -> str:
    key = _index_key(settings.BLIND_INDEX_KEY)
    return hmac.new(key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()[:32]


def name_digests(*names: str) -> set[str]:
    """The index entries of a person's names: each whole name and each word of them."""
    digests = set()
    for name in names:
        normal = normalise(name)
        if normal:
            digests.add(_digest("name", normal))
            digests.update(_digest("word", word) for word in normal.split())
    return digests


def subject_digests(full_name: str, other_names: str) -> set[str]:
    """A subject's index entries: its full name, and each of its other names (one per line,
    or separated by commas or semicolons)."""
    return name_digests(full_name, *re.split(r"[\n;,]", other_names or ""))


def query_digests(query: str) -> tuple[str | None, list[str]]:
    """What a search for `query` looks up: the whole name, and every one of its words."""
    normal = normalise(query)
    if not normal:
        return None, []
    return _digest("name", normal), [_digest("word", w) for w in dict.fromkeys(normal.split())]
