"""Tokens die with what they stood on: the user's last membership, its being active, its
password. Deleting them here makes it visible (the tokens are gone, each revocation audited);
the authentication checks the same conditions at every request, and stays the guard for
changes that send no signal."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_save

from cases.models import Membership

from . import tokens

WATCHED = {"password", "is_active"}


def _remember_account(sender, instance, update_fields=None, raw=False, **kwargs) -> None:
    """Before a user is saved: its stored password and state, to compare after (not for a
    fixture being loaded, nor a save that writes neither)."""
    if raw or instance.pk is None or (
        update_fields is not None and not WATCHED & set(update_fields)
    ):
        instance._tokens_before = None
        return
    instance._tokens_before = (
        sender._default_manager.filter(pk=instance.pk).values_list("password", "is_active").first()
    )


def _revoke_on_account_change(sender, instance, created=False, **kwargs) -> None:
    before = getattr(instance, "_tokens_before", None)
    instance._tokens_before = None
    if created or before is None:
        return
    password, was_active = before
    if was_active and not instance.is_active:
        tokens.revoke_all(user=instance, reason=tokens.Reason.DEACTIVATED)
    elif password != instance.password:
        tokens.revoke_all(user=instance, reason=tokens.Reason.PASSWORD_CHANGED)


def _revoke_on_last_membership(sender, instance, **kwargs) -> None:
    if not Membership.objects.filter(user_id=instance.user_id).exists():
        # The user may be going too (a deleted account takes its memberships and tokens).
        user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
        if user is not None:
            tokens.revoke_all(user=user, reason=tokens.Reason.LAST_MEMBERSHIP,
                              organisation_id=instance.organisation_id)


def connect() -> None:
    user_model = get_user_model()
    pre_save.connect(_remember_account, sender=user_model, dispatch_uid="accounts.tokens_pre")
    post_save.connect(_revoke_on_account_change, sender=user_model,
                      dispatch_uid="accounts.tokens_post")
    post_delete.connect(_revoke_on_last_membership, sender=Membership,
                        dispatch_uid="accounts.tokens_membership")
