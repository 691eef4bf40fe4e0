"""Signed-in sessions: their limits, the list a person sees, and ending them.

A session ends when it has been idle for `SESSION_IDLE_SECONDS` or alive for
`SESSION_ABSOLUTE_SECONDS` (accounts.middleware), when its person ends it from their list, and
all of a person's sessions end when the person is deactivated, changes password, loses their
last membership or has their factors reset.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import import_module
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from cases.signin import client_address

from . import events
from .models import UserSession

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.http import HttpRequest

# Keys of the session itself: when it signed in, when it was last active (epoch seconds), and
# the session key it is listed under (a new password or sign-in gives the session a new key).
STARTED = "signed_in_at"
SEEN = "seen_at"
LISTED = "listed_as"
# Activity is written down at most this often: a page a second writes no more than this.
SEEN_PRECISION_SECONDS = 60


def _store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def started(request: HttpRequest, user: AbstractBaseUser, since: float | None = None) -> None:
    """On sign-in: the session's clock starts (or goes on `since`), and it appears in its
    person's list."""
    now = timezone.now()
    request.session[SEEN] = now.timestamp()
    request.session[STARTED] = since or now.timestamp()
    request.session.save()
    request.session[LISTED] = request.session.session_key
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={"user": user, "last_seen": now,
                  "started_at": datetime.fromtimestamp(request.session[STARTED], tz=UTC),
                  "address": client_address(request) or None,
                  "user_agent": request.headers.get("User-Agent", "")[:300]},
    )


def expired(request: HttpRequest, now: datetime) -> bool:
    """Whether the session is past its idle or its absolute limit."""
    at = now.timestamp()
    seen = request.session.get(SEEN)
    began = request.session.get(STARTED, seen)
    if seen is None:
        return False
    return (at - seen >= settings.SESSION_IDLE_SECONDS
            or at - began >= settings.SESSION_ABSOLUTE_SECONDS)


def seen(request: HttpRequest, now: datetime) -> None:
    """The person did something: the idle clock starts again (written once a minute)."""
    if request.session.get(LISTED) != request.session.session_key:
        # Signed in before the list existed, or given a new key since it was listed.
        started(request, request.user, since=request.session.get(STARTED))
        return
    if now.timestamp() - request.session.get(SEEN, 0) < SEEN_PRECISION_SECONDS:
        return
    request.session[SEEN] = now.timestamp()
    request.session.setdefault(STARTED, now.timestamp())
    UserSession.objects.filter(session_key=request.session.session_key).update(last_seen=now)


def forget(session_key: str) -> None:
    """The session is gone (signed out, expired): off the list."""
    UserSession.objects.filter(session_key=session_key).delete()


def end_session(*, actor: AbstractBaseUser, session: UserSession, reason: str = "ended") -> None:
    """End one session: deleted from the store, so its cookie signs nothing in any more."""
    _store()(session_key=session.session_key).delete()
    session.delete()
    events.record(actor=actor, action=events.Action.SESSION_END, user=session.user,
                  detail={"reason": reason, "started": session.started_at.isoformat()})


def end_all_sessions(*, actor: object | None, user: AbstractBaseUser, reason: str) -> int:
    """End every session of `user`."""
    sessions = list(UserSession.objects.filter(user=user))
    store = _store()
    for session in sessions:
        store(session_key=session.session_key).delete()
    UserSession.objects.filter(pk__in=[s.pk for s in sessions]).delete()
    if sessions:
        events.record(actor=actor, action=events.Action.SESSION_END, user=user,
                      detail={"reason": reason, "sessions": len(sessions)})
    return len(sessions)
