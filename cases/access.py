"""One record through the policy, or a 404; and the trace a refusal leaves.

A record the caller may not see answers 404, exactly as one that does not exist. When it does
exist the refusal is audited (`access_denied`: who, what kind, when), at most once per caller
and record in `ACCESS_DENIED_AUDIT_SECONDS`, and at most `ACCESS_DENIED_AUDIT_MAX` times per
caller in that time, so that a scanner cannot flood the log. The counters live in the shared
cache, so every process keeps the same count.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DataError
from django.db.models import Model, QuerySet
from django.http import Http404

from . import audit, policy


def get_visible_or_404(user, records: type[Model] | QuerySet, **lookup) -> Model:
    """The one record of `records` (a model, or an unrestricted queryset of it to keep its
    joins) matching `lookup` that `user` may see; otherwise 404, audited where it exists."""
    queryset = records._default_manager.all() if isinstance(records, type) else records
    if any("\x00" in str(value) for value in lookup.values()):
        raise Http404
    try:
        return policy.restrict(queryset, user).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        note_denied(user, queryset.model, lookup)
        raise Http404 from None


def note_denied(user, model: type[Model], lookup: dict) -> None:
    """Audit a refused request for the record `lookup` names, if it exists and `user` may
    not see it."""
    if user is None or not user.is_authenticated:
        return
    if any("\x00" in str(value) for value in lookup.values()):
        return
    try:
        record = model._default_manager.filter(**lookup).first()
    except (ValidationError, ValueError, DataError):
        return
    if record is None or policy.restrict(
        model._default_manager.filter(pk=record.pk), user
    ).exists():
        return
    if not _within_rate(user, record):
        return
    audit.record(user, audit.Action.ACCESS_DENIED, record,
                 detail={"kind": model._meta.model_name})


def _within_rate(user, record: Model) -> bool:
    window = settings.ACCESS_DENIED_AUDIT_SECONDS
    once = f"access-denied:{user.pk}:{record._meta.label_lower}:{record.pk}"
    if not cache.add(once, 1, timeout=window):
        return False
    count = f"access-denied:{user.pk}"
    cache.add(count, 0, timeout=window)
    try:
        return cache.incr(count) <= settings.ACCESS_DENIED_AUDIT_MAX
    except ValueError:  # expired between add and incr
        return True
