"""An upload kept while its import is mapped, checked and committed: sealed with AES-256-GCM
under a data key of its own (wrapped like every subject's, `cases.crypto`), in chunks so that
neither sealing nor opening holds the file in memory. Opened, it is a temporary file readable by
this process's user only, removed when the block ends."""

from __future__ import annotations

import contextlib
import hashlib
import os
import struct
import tempfile
from collections.abc import Iterator

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.utils import timezone

from cases import crypto, keyring
from cases.models import DataKey

CHUNK = 1 << 20
_LENGTH = struct.Struct(">I")


def _aad(job_id, index: int, last: bool) -> bytes:
    return f"import:{job_id}:{index}:{int(last)}".encode()


def _chunks(source) -> Iterator[tuple[bytes, bool]]:
    """The chunks of `source`, each told whether it is the last."""
    current = source.read(CHUNK)
    while True:
        following = source.read(CHUNK) if current else b""
        yield current, not following
        if not following:
            return
        current = following


def seal(job_id, source) -> tuple[str, DataKey, str, int]:
    """Seal the readable binary `source` for import `job_id`: (storage name, data key, SHA-256
    of the plaintext, size)."""
    key = crypto.new_data_key()
    data_key = DataKey.objects.create_for(key)
    keyring.remember(data_key.id, key)
    aes, digest, size = AESGCM(key), hashlib.sha256(), 0
    with tempfile.TemporaryFile() as sealed:
        for index, (chunk, last) in enumerate(_chunks(source)):
            digest.update(chunk)
            size += len(chunk)
            nonce = os.urandom(12)
            box = aes.encrypt(nonce, chunk, _aad(job_id, index, last))
            sealed.write(_LENGTH.pack(len(box)) + nonce + box)
        sealed.seek(0)
        name = default_storage.save(f"imports/{job_id}.sealed", File(sealed))
    return name, data_key, digest.hexdigest(), size


@contextlib.contextmanager
def opened(job) -> Iterator[str]:
    """The path of a private temporary file holding the plaintext of `job`'s upload."""
    key = keyring.data_key(job.data_key_id)
    if key is None:
        raise FileNotFoundError("the import's key is gone")
    aes = AESGCM(key)
    handle, path = tempfile.mkstemp(prefix="import-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as plain, default_storage.open(job.file, "rb") as sealed:
            index = 0
            while header := sealed.read(_LENGTH.size):
                (length,) = _LENGTH.unpack(header)
                nonce, box = sealed.read(12), sealed.read(length)
                last = sealed.read(1)
                if last:
                    sealed.seek(-1, os.SEEK_CUR)
                plain.write(aes.decrypt(nonce, box, _aad(job.pk, index, not last)))
                index += 1
        yield path
    finally:
        os.unlink(path)


def delete(job) -> None:
    """The upload gone for good: its file deleted and its key destroyed."""
    if job.file:
        default_storage.delete(job.file)
    if job.data_key_id:
        DataKey.objects.filter(pk=job.data_key_id).update(wrapped=b"", kek="",
                                                          destroyed_at=timezone.now())
        keyring.forget(job.data_key_id)
