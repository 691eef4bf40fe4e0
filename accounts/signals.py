"""A person's account loses its standing: every session of theirs ends, and every API token.

Deactivation, a new password, the last membership gone, factors reset (accounts.factors): the
checks at each request (Django's session hash for a password, `is_active`; for a token the same
and a membership, accounts/authentication.py) already refuse what they can, and stay the guard
for changes that send no signal; this ends the sessions and deletes the tokens at once, and
each ending is in the audit log.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save

from cases.models import Membership

from . import sessions, tokens

User = get_user_model()


def _signed_in(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.started(request, user)


def _signed_out(sender, request, user, **kwargs) -> None:
    if request is not None and getattr(request.session, "session_key", None):
        sessions.forget(request.session.session_key)


def _remember_standing(sender, instance, update_fields=None, **kwargs) -> None:
    """Before a user is saved: what the saved row says, if this save may change it."""
    instance._standing_before = None
    if instance.pk is None or (update_fields is not None
                               and not {"password", "is_active"} & set(update_fields)):
        return
    instance._standing_before = (
        User.objects.filter(pk=instance.pk).values_list("password", "is_active").first()
    )


def _standing_changed(sender, instance, created, **kwargs) -> None:
    before = getattr(instance, "_standing_before", None)
    instance._standing_before = None
    if created or before is None:
        return
    password, active = before
    if active and not instance.is_active:
        sessions.end_all_sessions(actor=None, user=instance, reason="deactivated")
        tokens.revoke_all(user=instance, reason=tokens.Reason.DEACTIVATED)
    elif password != instance.password:
        sessions.end_all_sessions(actor=instance, user=instance, reason="password changed")
        tokens.revoke_all(user=instance, reason=tokens.Reason.PASSWORD_CHANGED)


def _membership_gone(sender, instance, **kwargs) -> None:
    if not Membership.objects.filter(user_id=instance.user_id).exists():
        user = User.objects.filter(pk=instance.user_id).first()
        if user is not None:
            sessions.end_all_sessions(actor=None, user=user, reason="last membership ended")
            tokens.revoke_all(user=user, reason=tokens.Reason.LAST_MEMBERSHIP,
                              organisation_id=instance.organisation_id)


def connect() -> None:
    user_logged_in.connect(_signed_in, dispatch_uid="accounts.session_started")
    user_logged_out.connect(_signed_out, dispatch_uid="accounts.session_forgotten")
    pre_save.connect(_remember_standing, sender=User, dispatch_uid="accounts.standing_before")
    post_save.connect(_standing_changed, sender=User, dispatch_uid="accounts.standing_after")
    post_delete.connect(_membership_gone, sender=Membership, dispatch_uid="accounts.last_member")
