"""Sessions end when idle, when old, when their person ends them, and all of a person's end
when the account loses its standing."""

import datetime as dt

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from accounts.models import UserSession
from cases import services
from cases.models import AuditEvent

from .support import PASSWORD, password_only

Action = AuditEvent.Action


def signed_in(user, agent="Firefox on Linux") -> Client:
    client = Client(HTTP_USER_AGENT=agent)
    assert client.post("/accounts/login/", {"username": user.username,
                                            "password": PASSWORD}).status_code == 302
    return client


def is_signed_in(client) -> bool:
    return client.get("/cases/").status_code == 200


def test_a_session_ends_after_its_idle_time(world, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(world.fr_caseworker)
        clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
        assert is_signed_in(client)
        clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        response = client.get("/cases/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert not UserSession.objects.filter(user=world.fr_caseworker).exists()
        assert not is_signed_in(client)


def test_the_api_answers_401_once_the_session_is_idle(world, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(world.fr_caseworker)
        clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
        assert client.get("/api/v1/me/").status_code == 401


def test_a_busy_session_still_ends_at_its_absolute_limit(world, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(world.fr_caseworker)
        step = dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS // 2)
        elapsed = dt.timedelta()
        while elapsed + step < dt.timedelta(seconds=settings.SESSION_ABSOLUTE_SECONDS):
            clock.shift(step)
            elapsed += step
            assert is_signed_in(client)
        clock.shift(step)
        assert not is_signed_in(client)


def test_the_page_carries_the_idle_warning(world, settings):
    page = signed_in(world.fr_caseworker).get("/")
    assert f'data-idle-seconds="{settings.SESSION_IDLE_SECONDS}"'.encode() in page.content
    assert b'id="session-warning"' in page.content
    assert b"js/session.js" in page.content


def test_keep_alive_restarts_the_idle_clock(world, settings):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = signed_in(world.fr_caseworker)
        for _ in range(3):
            clock.shift(dt.timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
            assert client.post("/accounts/sessions/keep-alive/").status_code == 204
        assert is_signed_in(client)


def test_a_person_sees_their_sessions_and_ends_one(world):
    user = world.fr_caseworker
    laptop = signed_in(user, agent="Firefox on Linux")
    phone = signed_in(user, agent="Safari on iPhone")
    page = laptop.get("/accounts/sessions/")
    assert b"Firefox on Linux" in page.content and b"Safari on iPhone" in page.content
    assert b"127.0.0.1" in page.content
    theirs = UserSession.objects.get(user=user, user_agent="Safari on iPhone")
    assert laptop.post(f"/accounts/sessions/{theirs.pk}/end/").status_code == 302
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    assert AuditEvent.objects.filter(action=Action.SESSION_END,
                                     detail__account=user.username).exists()


def test_nobody_ends_another_persons_session(world):
    victim = signed_in(world.de_caseworker)
    session = UserSession.objects.get(user=world.de_caseworker)
    attacker = signed_in(world.fr_admin)
    assert attacker.post(f"/accounts/sessions/{session.pk}/end/").status_code == 404
    assert b"Firefox" not in attacker.get("/accounts/sessions/").content.split(b"<tbody>")[1] \
        or UserSession.objects.filter(user=world.fr_admin).count() == 1
    assert is_signed_in(victim)


def test_signing_out_takes_the_session_off_the_list(world):
    client = signed_in(world.fr_caseworker)
    client.post("/accounts/logout/")
    assert not UserSession.objects.filter(user=world.fr_caseworker).exists()


def _all_ended(user, *clients) -> bool:
    return (not any(is_signed_in(c) for c in clients)
            and not UserSession.objects.filter(user=user).exists())


def test_deactivation_ends_every_session(world):
    user = world.fr_caseworker
    clients = [signed_in(user), signed_in(user)]
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    user.is_active = False
    user.save()
    assert _all_ended(user, *clients)
    assert not Session.objects.filter(session_key__in=keys).exists()


def test_a_new_password_ends_every_other_session(world):
    user = world.fr_caseworker
    other = signed_in(user)
    here = signed_in(user)
    response = here.post("/accounts/password/", {"old_password": PASSWORD,
                                                 "new_password1": "a much newer passphrase 42",
                                                 "new_password2": "a much newer passphrase 42"})
    assert response.status_code == 302
    assert not is_signed_in(other)
    assert is_signed_in(here)
    assert UserSession.objects.filter(user=user).count() == 1


def test_losing_the_last_membership_ends_every_session(world):
    user = world.fr_liaison
    client = signed_in(user)
    services.membership_delete(actor=world.fr_admin, membership=user.memberships.get())
    assert not UserSession.objects.filter(user=user).exists()
    assert client.get("/")["Location"].startswith("/accounts/login/")


def test_a_membership_left_behind_keeps_the_sessions(world):
    from ..factories import MembershipFactory

    user = world.fr_liaison
    MembershipFactory(user=user, organisation=world.ngo_it, role="auditor")
    client = signed_in(user)
    services.membership_delete(actor=world.fr_admin, membership=user.memberships.get(
        organisation=world.ngo_fr))
    assert is_signed_in(client)


@pytest.mark.parametrize(("limit", "steps"), [("SESSION_IDLE_SECONDS", (110, 121)),
                                              ("SESSION_ABSOLUTE_SECONDS", (70, 70))])
def test_limits_are_settings(world, settings, limit, steps):
    setattr(settings, limit, 120)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = password_only(world.fr_caseworker)
        clock.shift(dt.timedelta(seconds=steps[0]))
        assert is_signed_in(client)
        clock.shift(dt.timedelta(seconds=steps[1]))
        assert not is_signed_in(client)
