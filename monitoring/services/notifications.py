"""A user's own notifications: which come by e-mail, and which were read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypedDict

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases import audit
from cases.services import Actor

from ..models import Notification, NotificationPreference
from .common import AuditAction


class Preference(TypedDict):
    kind: str
    email: bool


def notification_preferences_set(*, actor: Actor, preferences: Iterable[Preference]) -> None:
    """The caller's own choice of which alerts also come by e-mail."""
    with transaction.atomic():
        for item in preferences:
            NotificationPreference.objects.update_or_create(
                user=actor, kind=item["kind"], defaults={"email": item["email"]}
            )
        audit.record(actor, AuditAction.UPDATE, None,
                     detail={"notification_preferences": [
                         {"kind": i["kind"], "email": i["email"]} for i in preferences]})


def notification_mark_read(*, actor: Actor, notification: Notification) -> None:
    """The recipient marks one of its notifications read (its own state: no audit event, as a
    mail client's read flag)."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is someone else's."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
