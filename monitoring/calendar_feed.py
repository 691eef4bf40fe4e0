"""A person's calendar feed (iCalendar, RFC 5545) of the open follow-ups that are theirs to do:
those assigned to them, and those of their organisations' cases that no one is assigned to.

The feed is read by calendar applications, which send no session: its secret address is the
credential (`CalendarFeed`, made and reset by `services.calendar_feed_reset`). It answers only
while its owner is active, keeps the password the address was made under, and belongs to an
organisation; which follow-ups it holds is decided at each request from the policy's
restricted queryset, so a membership that ends takes its organisation's follow-ups out of the
next answer.

An event says which case (its reference), which check (its kind and mode), the window and a
link to the follow-up's page: never the person's name, other names, date of birth or contacts,
their subject reference, the case's notes, nor the follow-up's note (free text may name
someone). Those columns are not even read: the query loads the follow-up's schedule and the
case's reference alone.
"""

from __future__ import annotations

import datetime
import hashlib
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

import icalendar
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import formats, timezone, translation
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from accounts import preferences
from accounts.tokens import fingerprint, stamp_use
from cases import policy

from .models import CalendarFeed, FollowUp

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

PRODID = "-//Extradition Monitor//Follow-ups//EN"
CALENDAR_NAME = "Extradition Monitor: follow-ups"
UID_DOMAIN = "extradition-monitor"
# How often calendar applications are asked to fetch the feed again.
REFRESH = datetime.timedelta(hours=1)
# `last_used_at` is written at most this often: a client polling often does not write each time.
LAST_USED_EVERY = datetime.timedelta(minutes=5)
# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
TOKEN_BYTES = 32
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# What an event is built from: the schedule, and the case's reference through its join.
_FIELDS = ("id", "kind", "mode", "status", "assignee", "window_opens_at", "due_at",
           "due_soon_at", "updated_at", "version", "case__id", "case__reference")


# --- the address -----------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What the database keeps of a feed's secret: its SHA-256, in hex. The secret is 256
    random bits, so a plain hash is as hard to reverse as the secret is to guess."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_for(token: str) -> CalendarFeed | None:
    """The feed whose secret is `token`, with its owner, while it may answer; else None.

    The lookup is by the digest (a unique index): what the timing of the query could tell is
    about the digest, never the secret."""
    if not isinstance(token, str) or not _TOKEN_SHAPE.match(token):
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token_digest=digest(token)).first()
    if feed is None or not feed.user.is_active:
        return None
    if not constant_time_compare(feed.password_fingerprint, fingerprint(feed.user)):
        return None
    # A person who belongs to no organisation has no follow-ups to be fed (platform staff
    # included: the policy gives them none).
    if not policy.roles(feed.user):
        return None
    return feed


def is_current(feed: CalendarFeed) -> bool:
    """Whether the address still works as far as its owner's password goes (the page says when
    a new password ended it)."""
    return constant_time_compare(feed.password_fingerprint, fingerprint(feed.user))


def touch(feed: CalendarFeed, now: datetime.datetime | None = None) -> None:
    """Note the feed's use, at most once per LAST_USED_EVERY."""
    stamp_use(feed, "last_used_at", LAST_USED_EVERY, now)


# --- what it holds ---------------------------------------------------------------------------


def follow_ups_of(user: AbstractBaseUser) -> QuerySet[FollowUp]:
    """The open follow-ups that are `user`'s to do, from the policy's restricted queryset:
    those of its organisations' cases (never a partner's, even shared) whose monitoring its
    role may see, assigned to it or to no one. One query, whatever their number."""
    organisations = policy.organisations_with(user, policy.Resource.MONITORING,
                                              policy.Action.VIEW)
    return (
        policy.visible(user, FollowUp)
        .filter(status__in=FollowUp.OPEN, case__owner_id__in=organisations)
        .filter(Q(assignee_id=user.pk) | Q(assignee__isnull=True))
        .select_related("case")
        .only(*_FIELDS)
        .order_by("due_at", "id")
    )


def build(user: AbstractBaseUser, *, page_url: Callable[[FollowUp], str],
          now: datetime.datetime | None = None) -> bytes:
    """The feed of `user` as iCalendar bytes, written in its language; `page_url` gives the
    absolute address of a follow-up's page."""
    now = now or timezone.now()
    language = preferences.language_for_mail(user)
    with translation.override(language), timezone.override(settings.TIME_ZONE):
        calendar = icalendar.Calendar()
        calendar.add("prodid", PRODID)
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", CALENDAR_NAME)
        calendar.add("x-wr-caldesc", _("The follow-ups assigned to you or to your "
                                       "organisation, by case reference."))
        calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))
        for follow_up in follow_ups_of(user):
            calendar.add_component(_event(follow_up, user, page_url(follow_up), now))
        return calendar.to_ical()


def _event(follow_up: FollowUp, user, url: str, now: datetime.datetime) -> icalendar.Event:
    summary = f"{follow_up.case.reference} · {follow_up.get_kind_display()}"
    event = icalendar.Event()
    event.add("uid", f"{follow_up.id}@{UID_DOMAIN}")
    event.add("dtstamp", now)
    event.add("last-modified", follow_up.updated_at)
    # The follow-up's version grows with each change of it: calendar applications take the
    # event with the higher sequence.
    event.add("sequence", follow_up.version)
    event.add("dtstart", follow_up.window_opens_at)
    # RFC 5545 wants DTEND after DTSTART: a window that opens when it is due has none (the
    # event then lasts no time, §3.6.1).
    if follow_up.due_at > follow_up.window_opens_at:
        event.add("dtend", follow_up.due_at)
    event.add("summary", summary)
    event.add("description", _description(follow_up, user, url))
    event.add("url", url)
    event.add("status", "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    # A calendar shared with others shows them the time, not the details.
    event.add("class", "PRIVATE")
    event.add("categories", [str(follow_up.get_kind_display()),
                             str(follow_up.get_status_display())])
    for alarm in _alarms(follow_up, summary):
        event.add_component(alarm)
    return event


def _description(follow_up: FollowUp, user, url: str) -> str:
    whose = (_("Assigned to you.") if follow_up.assignee_id == user.pk
             else _("No one is assigned: it is your organisation's."))
    lines = [
        _("Check: %(kind)s") % {"kind": follow_up.get_kind_display()},
        _("Mode: %(mode)s") % {"mode": follow_up.get_mode_display()},
        _("Status: %(status)s") % {"status": follow_up.get_status_display()},
        _("Window: %(opens)s to %(due)s") % {"opens": _written(follow_up.window_opens_at),
                                              "due": _written(follow_up.due_at)},
        whose,
        url,
    ]
    return "\n".join(lines)


def _written(moment: datetime.datetime) -> str:
    """A moment as the active language writes it, in the platform's time zone, named."""
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {formats.date_format(local, 'T')}"


def _alarms(follow_up: FollowUp, summary: str) -> list[icalendar.Alarm]:
    """Reminders at the moments the organisation's cadence set on the follow-up, those at which
    the sweep alerts its assignee: "due soon" (at `due_soon_at`, the plan's `due_soon_days`
    before the window opens) and "due" (when the window opens). Absolute moments rather than
    offsets, so that the calendar and the notifications agree even when the plan's settings
    change later. The escalation and the miss go to the organisation's admins and liaisons,
    after the due date: they are no reminder of a check still to make. A "due soon" moment that
    is not before the window (a cadence without one) gives no reminder of its own."""
    moments = []
    if follow_up.due_soon_at < follow_up.window_opens_at:
        moments.append((follow_up.due_soon_at, _("Due soon: %(summary)s")))
    moments.append((follow_up.window_opens_at, _("The window opens: %(summary)s")))
    alarms = []
    for moment, text in moments:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", text % {"summary": summary})
        alarm.add("trigger", moment, parameters={"VALUE": "DATE-TIME"})
        alarms.append(alarm)
    return alarms

