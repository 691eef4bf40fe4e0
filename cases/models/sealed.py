"""Model fields whose values are stored sealed under their subject's data key.

On the model the value reads and writes as plain text (or a date); in the database it is
`em1:...` (see `cases.crypto`). Reading a row does not decrypt anything: the value stays
sealed in the instance until the attribute is read, and a value read but never changed is
saved back exactly as it was stored. A value whose key was destroyed reads as empty.

A model with sealed fields names the subject whose key seals them: `sealing_subject()`.
Sealed columns cannot be searched or compared in SQL: a lookup other than `isnull` or
equality with the empty value raises, so that no query silently fails to match ciphertext.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact
from django.db.models.query_utils import DeferredAttribute

from .. import crypto, keyring


class Sealed(str):
    """A value as stored, not yet opened; `column` is what it was sealed for."""

    column: str

    def __new__(cls, stored: str, column: str):
        value = super().__new__(cls, stored)
        value.column = column
        return value

    def reveal(self) -> str | None:
        return keyring.reveal(self, self.column)


def sealed_changes(instance, changes: dict) -> dict:
    """`changes` to `instance` for a queryset `update()`: the values of sealed fields sealed
    under its subject's data key."""
    out = dict(changes)
    for name, value in changes.items():
        field = instance._meta.get_field(name)
        if isinstance(field, SealedMixin) and value not in (None, "") \
                and not isinstance(value, Sealed):
            key_id, key = keyring.key_for(instance.sealing_subject())
            out[name] = crypto.seal(field.to_text(value), key_id, key, field.column_label)
    return out


def reveal(value):
    """A value read with `values()` or `values_list()`, opened if it is sealed."""
    return value.reveal() if isinstance(value, Sealed) else value


class _SealedAttribute(DeferredAttribute):
    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed):
            value = self.field.from_text(value.reveal())
            instance.__dict__[self.field.attname] = value
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


def _unsearchable(field) -> FieldError:
    return FieldError(f"{field.column_label} is sealed: its values cannot be searched in the "
                      "database (a name is found through the name index).")


class _EmptyOnly(Exact):
    """Equality with the empty value, the one comparison a sealed column can answer."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise _unsearchable(self.lhs.output_field)
        return super().get_prep_lookup()


class SealedMixin:
    descriptor_class = _SealedAttribute

    def contribute_to_class(self, cls, name, *args, **kwargs):
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.column_label = f"{cls._meta.label_lower}.{name}"

    # What the database holds: text, the empty value stays empty.
    def get_internal_type(self) -> str:
        return "TextField"

    def from_db_value(self, value, expression, connection):
        if not value:
            return value
        key_id = crypto.key_id_of(value)
        if key_id is not None:
            keyring.expect(key_id)
        return Sealed(value, self.column_label)

    def get_prep_value(self, value):
        # Stored values pass as they are: `pre_save` has sealed them already.
        return value

    def get_db_prep_value(self, value, connection, prepared=False):
        return value

    def get_db_prep_save(self, value, connection):
        # Whatever writes bypassing `pre_save` (`update()`, `bulk_update()`) must seal first
        # (`sealed_changes`): plain text never reaches the column.
        if value and not (isinstance(value, str) and crypto.key_id_of(value)):
            raise ValueError(f"{self.column_label} is written unsealed; seal it first.")
        return value

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value in (None, ""):
            return value
        if isinstance(value, Sealed):
            return str(value)
        key_id, key = keyring.key_for(model_instance.sealing_subject())
        return crypto.seal(self.to_text(value), key_id, key, self.column_label)

    def get_lookup(self, lookup_name):
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        if lookup_name == "exact":
            return _EmptyOnly
        raise _unsearchable(self)

    def to_text(self, value) -> str:
        return str(value)

    def from_text(self, text):
        return text or ""


class SealedTextField(SealedMixin, models.TextField):
    """Free text sealed at rest. `single_line` asks forms for a one-line input."""

    def __init__(self, *args, single_line=False, **kwargs):
        self.single_line = single_line
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        if self.single_line:
            kwargs["single_line"] = True
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        if self.single_line:
            kwargs.setdefault("widget", forms.TextInput)
        return super().formfield(**kwargs)


class SealedDateField(SealedMixin, models.DateField):
    """A date sealed at rest, as its ISO text."""

    def to_text(self, value) -> str:
        if isinstance(value, datetime.date):
            return value.isoformat()
        return self.to_python(value).isoformat()

    def from_text(self, text):
        return datetime.date.fromisoformat(text) if text else None


class OfCaseSubject:
    """For a model with sealed fields and a `case`: they are sealed by the case's subject."""

    def sealing_subject(self):
        return self.case.subject
