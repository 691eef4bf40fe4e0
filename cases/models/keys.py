import uuid

from django.db import models
from django.utils import timezone

from .. import crypto


class DataKeyManager(models.Manager):
    def create_for(self, key: bytes) -> "DataKey":
        key_id = uuid.uuid4()
        kek, wrapped = crypto.wrap(key_id, key)
        return self.create(id=key_id, kek=kek, wrapped=wrapped)


class DataKey(models.Model):
    """A subject's data key, wrapped by a key-encryption key (`kek` is that key's fingerprint).

    Destroying it (`wrapped` emptied) makes every value sealed with it unreadable, in this
    database and in every copy of it once the key-encryption keys of the copy are retired.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kek = models.CharField(max_length=16, blank=True, db_index=True)
    wrapped = models.BinaryField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    rewrapped_at = models.DateTimeField(null=True, blank=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    objects = DataKeyManager()

    def __str__(self) -> str:
        return f"data key {self.id} ({'destroyed' if self.destroyed_at else self.kek})"


class SubjectNameDigest(models.Model):
    """One entry of the name index: a keyed digest of a subject's whole name or of a word of
    it (`cases.crypto.name_digests`)."""

    subject = models.ForeignKey("cases.Subject", on_delete=models.CASCADE,
                                related_name="name_digests")
    digest = models.CharField(max_length=32, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "digest"],
                                               name="uniq_subject_name_digest")]

    def __str__(self) -> str:
        return self.digest
