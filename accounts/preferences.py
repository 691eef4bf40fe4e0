"""A person's language: the one they chose on their preferences page or in the language menu,
for the pages on any device, the alerts they are sent and the exports they ask for.

Without a choice the pages follow the browser, and what is written for the person while they
are away (an e-mail) is in the platform's language (settings.LANGUAGE_CODE).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import events
from .models import UserPreference

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

LANGUAGES = {code for code, _name in settings.LANGUAGES}


def language_of(user: AbstractBaseUser) -> str:
    """The language `user` chose, or "" (none, or no one signed in)."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return UserPreference.objects.filter(user_id=user.pk).values_list(
        "language", flat=True).first() or ""


def language_for_mail(user: AbstractBaseUser) -> str:
    """The language to write to `user` in when they are not there to ask their browser."""
    return language_of(user) or settings.LANGUAGE_CODE


def languages_for_mail(user_ids) -> dict[int, str]:
    """`language_for_mail` of many people at once: one query, whatever their number."""
    chosen = dict(UserPreference.objects.filter(user_id__in=user_ids).exclude(language="")
                  .values_list("user_id", "language"))
    return {user_id: chosen.get(user_id) or settings.LANGUAGE_CODE for user_id in user_ids}


def language_set(*, actor: AbstractBaseUser, language: str) -> UserPreference:
    """The caller's own choice of language ("" to follow the browser), audited when it
    changes."""
    if language and language not in LANGUAGES:
        raise ValidationError({"language": _("This language is not offered.")})
    with transaction.atomic():
        preference, _created = UserPreference.objects.select_for_update().get_or_create(
            user_id=actor.pk)
        if preference.language == language:
            return preference
        before = preference.language
        preference.language = language
        preference.save(update_fields=["language"])
        events.record(actor=actor, action=events.Action.UPDATE, user=actor, obj=None,
                      detail={"language": language, "language_before": before})
    return preference
