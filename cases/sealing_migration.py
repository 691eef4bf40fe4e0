"""Sealing the values stored before identifiers were encrypted (used by data migrations)."""

from __future__ import annotations

import uuid

from . import crypto


class _Keys:
    """Each subject's data key while a migration seals its rows: the one it has, or a new one."""

    def __init__(self, apps):
        self.subjects = apps.get_model("cases", "Subject")
        self.data_keys = apps.get_model("cases", "DataKey")
        self.known: dict = {}

    def of(self, subject_id) -> tuple[uuid.UUID, bytes]:
        if subject_id in self.known:
            return self.known[subject_id]
        key_id = self.subjects.objects.filter(pk=subject_id).values_list(
            "data_key_id", flat=True).get()
        if key_id is not None:
            row = self.data_keys.objects.get(pk=key_id)
            found = key_id, crypto.unwrap(key_id, row.kek, bytes(row.wrapped))
        else:
            key_id, key = uuid.uuid4(), crypto.new_data_key()
            kek, wrapped = crypto.wrap(key_id, key)
            self.data_keys.objects.create(id=key_id, kek=kek, wrapped=wrapped)
            self.subjects.objects.filter(pk=subject_id).update(data_key_id=key_id)
            found = key_id, key
        self.known[subject_id] = found
        return found


def seal_rows(apps, app_label: str, model_name: str, fields: list[str], subject: str) -> None:
    """Seal `fields` of every row of the model, under the data key of the subject at path
    `subject` (e.g. "case__subject_id")."""
    model = apps.get_model(app_label, model_name)
    label = model._meta.label_lower
    keys = _Keys(apps)
    rows = model.objects.values_list("pk", subject, *fields).order_by().iterator()
    for pk, subject_id, *values in rows:
        changes = {}
        for name, value in zip(fields, values, strict=True):
            if value in (None, "") or str(value).startswith(crypto.PREFIX):
                continue
            key_id, key = keys.of(subject_id)
            changes[name] = crypto.seal(str(value), key_id, key, f"{label}.{name}")
        if changes:
            model.objects.filter(pk=pk).update(**changes)


def index_names(apps) -> None:
    """The name index of every subject, from its names as stored before they are sealed."""
    subjects = apps.get_model("cases", "Subject")
    digests = apps.get_model("cases", "SubjectNameDigest")
    batch = []
    for pk, full_name, other_names in subjects.objects.values_list(
            "pk", "full_name", "other_names").iterator():
        batch += [digests(subject_id=pk, digest=d)
                  for d in crypto.subject_digests(full_name, other_names)]
    digests.objects.bulk_create(batch, batch_size=1000)
