"""A person's calendar feed of follow-ups: an iCalendar file behind a secret address they make,
reset and turn off; the open follow-ups assigned to them and their organisations' unassigned
ones, never another member's, never a partner's, never a name.

ngo_fr owns a GREEN case shared with ministry_de through `fr_de_group`: the partner sees the
case and its follow-ups, and still gets none of them in a feed. ngo_it is an outsider. The
clock is frozen at NOW.
"""

from __future__ import annotations

import datetime
import hashlib

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import preferences
from cases import keyring, policy
from cases.models import AuditEvent, Membership
from cases.models.sharing import TLP, Distribution
from cases.services.organisations import membership_delete
from monitoring import services
from monitoring.models import CalendarFeed, FollowUp

from ..factories import MembershipFactory, SubjectFactory, UserFactory
from ..monitoring_helpers import DAY, HOUR, NOW, TODAY, ad_hoc, first_visit, freeze, monitored_case

# The pages of this module, for the access test of every page (tests/web/test_web_pages.py).
PAGES = {"monitoring:calendar", "monitoring:calendar_feed"}
PASSWORD = "correct horse battery staple"

# What the subject's record holds, planted to be looked for in the feed.
FULL_NAME = "Zhou Planted-Fullname"
OTHER_NAMES = "Planted Alias Wen"
BIRTH = datetime.date(1979, 4, 23)
CONTACTS = "Planted lawyer Maitre Secretcontact +33 6 12 34 56 78"
NOTES = "Planted subject notes about the brother"
NOTE = "Planted follow-up note: ask for Li Sister"
LEGAL_NOTE = "Planted legal basis note"
PLANTED = (FULL_NAME, OTHER_NAMES, CONTACTS, NOTES, NOTE, LEGAL_NOTE, "Zhou", "Secretcontact",
           "1979", "19790423", "23.04", "04/23", "A-1234/5-2026")


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


@pytest.fixture
def case(world):
    """A GREEN case of ngo_fr shared with ministry_de, in monitoring since yesterday: its first
    visit is open and assigned to no one."""
    subject = SubjectFactory(owner=world.ngo_fr, full_name=FULL_NAME, other_names=OTHER_NAMES,
                             date_of_birth=BIRTH, contacts=CONTACTS, notes=NOTES)
    return monitored_case(world, surrender=TODAY - DAY, subject=subject,
                          distribution=Distribution.SHARING_GROUP,
                          sharing_group=world.fr_de_group, tlp=TLP.GREEN,
                          legal_basis_note=LEGAL_NOTE)


def feed_address(token: str) -> str:
    return f"{reverse('monitoring:calendar_feed')}?token={token}"


def fetch(token: str, client: Client | None = None):
    return (client or Client()).get(feed_address(token))


def parsed(response) -> icalendar.Calendar:
    assert response.status_code == 200, response.content
    return icalendar.Calendar.from_ical(response.content)


def events(token: str) -> dict[str, icalendar.Event]:
    """The feed's events by the id of their follow-up."""
    calendar = parsed(fetch(token))
    return {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


def made(user) -> str:
    return services.calendar_feed_reset(actor=user)


def feed_events(**filters):
    return AuditEvent.objects.filter(action=AuditEvent.Action.CALENDAR_FEED, **filters)


def ids(*follow_ups) -> set[str]:
    return {str(f.pk) for f in follow_ups}


# --- what the feed is ------------------------------------------------------------------------


def test_the_feed_is_an_icalendar_file_icalendar_reads(world, case):
    token = made(world.fr_caseworker)

    response = fetch(token)

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    calendar = parsed(response)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Extradition Monitor: follow-ups"
    assert calendar["REFRESH-INTERVAL"].dt == datetime.timedelta(hours=1)
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in response.content
    found = list(calendar.walk("VEVENT"))
    assert found
    for event in found:
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION"):
            assert name in event, name
        assert event["DTSTART"].dt < event["DTEND"].dt
        assert event["STATUS"] == "CONFIRMED"


def test_an_event_says_the_case_the_check_and_its_window(world, case):
    visit = first_visit(case)
    token = made(world.fr_caseworker)

    event = events(token)[str(visit.pk)]

    assert event["UID"] == f"{visit.pk}@extradition-monitor"
    assert event["SUMMARY"] == f"{case.reference} · First private visit"
    assert event["DTSTART"].dt == visit.window_opens_at
    assert event["DTEND"].dt == visit.due_at
    assert event["DTSTART"].dt.utcoffset() == datetime.timedelta(0)
    assert event["SEQUENCE"] == visit.version
    link = f"http://testserver{reverse('monitoring:follow_up_detail', args=[visit.pk])}"
    assert link in event["DESCRIPTION"] and event["URL"] == link
    assert "First private visit" in event["DESCRIPTION"] and "Visit" in event["DESCRIPTION"]
    assert "First private visit" in [str(c) for c in event["CATEGORIES"].cats]


def test_the_feed_holds_no_identifier(world, case, monkeypatch):
    visit = first_visit(case)
    services.follow_up_update(actor=world.fr_caseworker, follow_up=visit, version=visit.version,
                              note=NOTE)
    ad_hoc(world, case, opens=NOW + 5 * DAY, due=NOW + 6 * DAY, assignee=world.fr_caseworker)
    token = made(world.fr_caseworker)

    # Not even read: opening any sealed value (a name, the note) while the feed is made fails.
    def refuse(stored, column):
        raise AssertionError(f"the feed opened {column}")

    monkeypatch.setattr(keyring, "reveal", refuse)
    with CaptureQueriesContext(connection) as queries:
        response = fetch(token)

    # Nor loaded: no query reads a sealed column, nor the subject's table.
    read = " ".join(query["sql"] for query in queries)
    for column in ('"note"', '"full_name"', '"contacts"', '"legal_basis_note"', "cases_subject"):
        assert column not in read, column

    body = response.content
    assert len(list(parsed(response).walk("VEVENT"))) == 2
    for planted in (*PLANTED, case.subject.reference, "SUBJ-"):
        assert planted.encode() not in body, planted
        assert planted.encode() not in body.replace(b"\r\n ", b""), planted


def test_reminders_come_at_the_moments_the_cadence_set(world, case):
    visit = first_visit(case)
    token = made(world.fr_caseworker)

    alarms = list(events(token)[str(visit.pk)].walk("VALARM"))

    assert visit.due_soon_at < visit.window_opens_at
    assert sorted(alarm["TRIGGER"].dt for alarm in alarms) == [visit.due_soon_at,
                                                               visit.window_opens_at]
    for alarm in alarms:
        assert alarm["ACTION"] == "DISPLAY" and case.reference in alarm["DESCRIPTION"]
        assert alarm["TRIGGER"].params["VALUE"] == "DATE-TIME"


def test_the_feed_is_written_in_the_persons_language(world, case):
    preferences.language_set(actor=world.fr_caseworker, language="fr")
    token = made(world.fr_caseworker)

    event = events(token)[str(first_visit(case).pk)]

    assert event["SUMMARY"] == f"{case.reference} · Première visite privée"


# --- whose follow-ups ------------------------------------------------------------------------


def test_ones_own_and_the_organisations_unassigned_follow_ups(world, case):
    unassigned = first_visit(case)
    mine = ad_hoc(world, case, opens=NOW + 2 * DAY, due=NOW + 3 * DAY,
                  assignee=world.fr_caseworker)
    colleagues = ad_hoc(world, case, opens=NOW + 2 * DAY, due=NOW + 4 * DAY,
                        assignee=world.fr_liaison)
    done = ad_hoc(world, case, opens=NOW + 2 * DAY, due=NOW + 5 * DAY,
                  assignee=world.fr_caseworker)
    services.follow_up_update(actor=world.fr_caseworker, follow_up=done, version=done.version,
                              status=FollowUp.Status.CANCELLED)

    assert set(events(made(world.fr_caseworker))) == ids(unassigned, mine)
    assert set(events(made(world.fr_liaison))) == ids(unassigned, colleagues)
    # An auditor's role sees the organisation's monitoring too.
    assert set(events(made(world.fr_auditor))) == ids(unassigned)


@pytest.mark.parametrize("name", ["de_liaison", "de_caseworker", "it_caseworker"])
def test_a_partner_or_an_outsider_gets_none_of_them(world, case, name):
    user = getattr(world, name)
    ad_hoc(world, case, opens=NOW + 2 * DAY, due=NOW + 3 * DAY, assignee=world.fr_caseworker)
    if name.startswith("de"):
        # The partner sees the shared case's follow-ups, and still gets none in its feed.
        assert FollowUp.objects.filter(case=case).count() == 2
        assert policy.visible(user, FollowUp).filter(case=case).count() == 2

    assert events(made(user)) == {}


def test_a_member_removed_from_one_organisation_loses_its_follow_ups_at_once(world, case):
    user = UserFactory(username="two_orgs")
    fr = MembershipFactory(user=user, organisation=world.ngo_fr, role=Membership.Role.CASEWORKER)
    MembershipFactory(user=user, organisation=world.ngo_it, role=Membership.Role.CASEWORKER)
    token = made(user)
    assert set(events(token)) == ids(first_visit(case))

    membership_delete(actor=world.fr_admin, membership=fr)

    assert events(token) == {}


def test_a_member_removed_from_its_last_organisation_has_no_feed(world, case):
    token = made(world.fr_caseworker)
    assert set(events(token)) == ids(first_visit(case))

    membership_delete(actor=world.fr_admin,
                      membership=Membership.objects.get(user=world.fr_caseworker))

    assert fetch(token).status_code == 404


def test_an_inactive_person_or_a_new_password_ends_the_feed(world, case):
    token = made(world.fr_caseworker)
    world.fr_caseworker.set_password("another horse battery staple")
    world.fr_caseworker.save()
    assert fetch(token).status_code == 404

    token = made(world.fr_liaison)
    world.fr_liaison.is_active = False
    world.fr_liaison.save()
    assert fetch(token).status_code == 404


# --- the address -----------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["", "short", "x" * 43, "a" * 42 + "!", "a" * 44])
def test_an_unknown_address_answers_404(world, token):
    made(world.fr_caseworker)

    response = fetch(token)

    assert response.status_code == 404
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert Client().get(reverse("monitoring:calendar_feed")).status_code == 404


def test_only_the_digest_of_the_secret_is_kept(world):
    token = made(world.fr_caseworker)

    feed = CalendarFeed.objects.get(user=world.fr_caseworker)
    assert feed.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(CalendarFeed.objects.values()))
    assert token not in str(list(AuditEvent.objects.values()))
    assert feed.token_digest not in str(list(AuditEvent.objects.values()))


def test_a_reset_ends_the_old_address_at_once(world, case):
    old = made(world.fr_caseworker)
    assert fetch(old).status_code == 200

    new = made(world.fr_caseworker)

    assert new != old
    assert fetch(old).status_code == 404
    assert fetch(new).status_code == 200
    assert CalendarFeed.objects.filter(user=world.fr_caseworker).count() == 1
    assert [e.detail["calendar_feed"] for e in feed_events().order_by("seq")] == ["made", "reset"]
    event = feed_events().order_by("seq").last()
    assert event.actor == world.fr_caseworker and event.organisation_id == world.ngo_fr.pk


def test_turning_the_feed_off(world, case):
    token = made(world.fr_caseworker)

    assert services.calendar_feed_delete(actor=world.fr_caseworker) is True

    assert fetch(token).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert feed_events().order_by("seq").last().detail["calendar_feed"] == "turned_off"
    assert services.calendar_feed_delete(actor=world.fr_caseworker) is False
    assert feed_events().count() == 2


def test_a_person_without_an_organisation_makes_no_feed(world):
    loner = UserFactory(username="loner")
    with pytest.raises(Exception, match="members of an organisation"):
        made(loner)
    assert not CalendarFeed.objects.exists() and not feed_events().exists()


def test_its_use_is_noted_at_most_every_few_minutes(world, case, time_machine):
    token = made(world.fr_caseworker)
    fetch(token)
    feed = CalendarFeed.objects.get()
    assert feed.last_used_at == NOW

    time_machine.move_to(NOW + datetime.timedelta(minutes=2), tick=False)
    fetch(token)
    assert CalendarFeed.objects.get().last_used_at == NOW

    time_machine.move_to(NOW + HOUR, tick=False)
    fetch(token)
    assert CalendarFeed.objects.get().last_used_at == NOW + HOUR


def test_its_queries_do_not_grow_with_the_follow_ups(world, case, time_machine):
    token = made(world.fr_caseworker)

    def count_for(total: int) -> int:
        while FollowUp.objects.filter(assignee=world.fr_caseworker).count() < total:
            ad_hoc(world, case, opens=NOW + 2 * DAY, due=NOW + 3 * DAY,
                   assignee=world.fr_caseworker)
        CalendarFeed.objects.update(last_used_at=None)
        with CaptureQueriesContext(connection) as queries:
            assert len(events(token)) == total + 1
        return len(queries)

    few = count_for(3)
    assert count_for(30) == few
    assert few <= 5


def test_a_session_waiting_for_its_second_factor_still_gets_the_feed(world, case):
    world.ngo_fr.mfa_required = True
    world.ngo_fr.save()
    token = made(world.fr_caseworker)
    client = Client()
    client.force_login(world.fr_caseworker)
    # The pages want the second factor first...
    assert client.get(reverse("monitoring:calendar")).status_code == 302
    # ...the feed reads no session.
    assert fetch(token, client).status_code == 200


# --- the page --------------------------------------------------------------------------------


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_page_wants_a_signed_in_person(world):
    response = Client().get(reverse("monitoring:calendar"))

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().post(reverse("monitoring:calendar"), {"action": "reset"}).status_code == 302
    assert not CalendarFeed.objects.exists()


def test_the_page_shows_the_new_address_once(world, case):
    client = signed_in(world.fr_caseworker)
    page = reverse("monitoring:calendar")
    response = client.get(page)
    assert response.status_code == 200
    assert "Make the address" in response.content.decode()

    response = client.post(page, {"action": "reset"})

    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    url = response.context["secret_url"]
    assert url.startswith("http://testserver/calendar/feed.ics?token=")
    token = url.split("token=")[1]
    body = response.content.decode()
    assert url in body and f"webcal://testserver/calendar/feed.ics?token={token}" in body
    assert fetch(token).status_code == 200

    again = client.get(page).content.decode()
    assert token not in again and "Reset the address" in again and "Turn off" in again
    assert "webcal" not in again


def test_the_page_turns_the_feed_off(world, case):
    client = signed_in(world.fr_caseworker)
    token = made(world.fr_caseworker)

    response = client.post(reverse("monitoring:calendar"), {"action": "turn_off"}, follow=True)

    assert response.status_code == 200
    assert "You have no calendar feed." in response.content.decode()
    assert fetch(token).status_code == 404


def test_the_page_refuses_a_person_without_an_organisation(world):
    loner = UserFactory(username="loner")
    client = signed_in(loner)

    response = client.post(reverse("monitoring:calendar"), {"action": "reset"})

    assert response.status_code == 403
    assert "for members of an organisation" in response.content.decode()
    assert not CalendarFeed.objects.exists()


def test_the_account_menu_links_to_the_page(world):
    response = signed_in(world.fr_caseworker).get(reverse("dashboard"))

    assert reverse("monitoring:calendar") in response.content.decode()
