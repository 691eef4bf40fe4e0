"""Alerts in their reader's language: the e-mail in the language the recipient chose (the
platform's otherwise), the pages in the reader's; dates as that language writes them, in the
platform's time zone. The stored English stays as it was, for what else reads it.

The clock is frozen at NOW."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import preferences
from monitoring import delivery, retention
from monitoring.models import Notification
from monitoring.services import notifications as notices
from monitoring.sweep import _TEXT, sweep

from ..factories import CaseFactory, sign_in_with_two_factors
from ..monitoring_helpers import DAY, HOUR, freeze, monitored_case
from .test_monitoring_schedule import D0, Kind


@pytest.fixture(autouse=True)
def clock(time_machine):
    return freeze(time_machine)


def written(language: str, moment: datetime.datetime) -> str:
    """A moment as `language` writes it, in UTC (the platform's zone)."""
    with translation.override(language), timezone.override(datetime.UTC):
        return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def day_written(language: str, day) -> str:
    with translation.override(language):
        return date_format(day, "DATE_FORMAT")


def translated(language: str, msgid: str) -> str:
    with translation.override(language):
        return _(msgid)


def due_alert(world, user) -> Notification:
    monitored_case(world)
    sweep(now=D0 + HOUR)
    return Notification.objects.select_related("follow_up", "case").get(recipient=user)


def mail_to(user):
    return next(m for m in mail.outbox if m.to == [user.email])


def test_a_german_reader_gets_the_email_in_german(world):
    preferences.language_set(actor=world.fr_caseworker, language="de")
    alert = due_alert(world, world.fr_caseworker)
    assert alert.kind == Kind.DUE

    assert delivery.deliver_pending()["sent"] == 2

    message = mail_to(world.fr_caseworker)
    kind = translated("de", "Follow-up due")
    assert kind != "Follow-up due" and kind in message.subject
    assert message.subject == (f"{Notification.EMAIL_PREFIX}"
                               f"{translated('de', Notification.TITLE)}"
                               % {"kind": kind, "ref": alert.case.reference})
    due = written("de", alert.follow_up.due_at)
    assert message.body == translated("de", _TEXT[Kind.DUE]) % {
        "ref": alert.case.reference, "due": f"{due} UTC"}
    # The German way: "12. März 2026".
    assert "12. März 2026" in message.body and "2026-03-12" not in message.body


def test_without_a_choice_the_email_is_in_the_platforms_language(world):
    alert = due_alert(world, world.fr_admin)
    delivery.deliver_pending()
    message = mail_to(world.fr_admin)
    assert message.subject == alert.subject
    assert written("en", alert.follow_up.due_at) in message.body
    assert "12 Mar 2026" in message.body


def test_the_stored_english_stays_as_it_was(world):
    preferences.language_set(actor=world.fr_caseworker, language="fr")
    alert = due_alert(world, world.fr_caseworker)
    reference = alert.case.reference
    assert alert.subject == f"[Extradition Monitor] Follow-up due: {reference}"
    assert alert.title == f"Follow-up due: {reference}"
    assert alert.body == (f"A follow-up on case {reference} is due now, by 2026-03-12 00:00 "
                          "UTC.")
    assert alert.params["args"] == {"ref": reference}
    assert alert.params["dates"]["due"] == alert.follow_up.due_at.isoformat()


def test_the_notifications_page_of_a_french_reader_writes_french_dates(world):
    preferences.language_set(actor=world.fr_caseworker, language="fr")
    alert = due_alert(world, world.fr_caseworker)
    client = Client()
    sign_in_with_two_factors(client, world.fr_caseworker)

    page = client.get("/notifications/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200 and page["Content-Language"] == "fr"
    text = page.content.decode()
    due = written("fr", alert.follow_up.due_at)
    assert "12 mars 2026" in due and due in text
    assert translated("fr", "Follow-up due") in text
    assert alert.body not in text


def test_the_dashboard_writes_a_silence_alert_in_the_readers_language(world):
    preferences.language_set(actor=world.fr_caseworker, language="de")
    case = CaseFactory(owner=world.ngo_fr)
    since = D0 - 40 * DAY
    Notification.objects.create(
        recipient=world.fr_caseworker, kind=Kind.SILENCE, case=case, dedup_key="silence:lang",
        subject="-", body="-",
        params=Notification.params_of(body=_TEXT[Kind.SILENCE], args={"ref": case.reference},
                                      dates={"since": since}))
    client = Client()
    sign_in_with_two_factors(client, world.fr_caseworker)
    page = client.get("/").content.decode()
    assert written("de", since) in page


def test_a_notice_without_params_shows_as_it_was_stored(world):
    case = CaseFactory(owner=world.ngo_fr)
    old = Notification.objects.create(
        recipient=world.fr_caseworker, kind=Kind.DUE, case=case, dedup_key="old",
        subject=f"{Notification.EMAIL_PREFIX}Follow-up due: {case.reference}",
        body="Written before.")
    with translation.override("de"):
        assert old.text() == (f"Follow-up due: {case.reference}", "Written before.")
    preferences.language_set(actor=world.fr_caseworker, language="de")
    delivery.deliver_pending()
    assert (mail.outbox[0].subject, mail.outbox[0].body) == (old.subject, old.body)


def test_the_export_notice_is_written_in_its_readers_language(world):
    expires = D0 + 7 * DAY
    notice = Notification.objects.create(
        recipient=world.fr_caseworker, kind=Kind.EXPORT_READY, dedup_key="export_ready:lang",
        subject="-", body="-",
        params=Notification.params_of(
            title="Your export is ready: %(kind)s",
            body="Your export %(id)s (%(kind)s, %(format)s, %(rows)s rows) is ready until "
                 "%(expires)s.",
            args={"id": "e1", "format": "XLSX", "rows": 3}, dates={"expires": expires},
            terms={"kind": "Cases"}))
    with translation.override("fr"), timezone.override(datetime.UTC):
        title, body = notice.text()
    assert title == translated("fr", "Your export is ready: %(kind)s") % {
        "kind": translated("fr", "Cases")}
    assert "Dossiers" in title
    assert written("fr", expires) in body


def test_a_retention_notice_writes_its_day_as_the_reader_does(world):
    case = CaseFactory(owner=world.ngo_fr)
    day = datetime.date(2026, 12, 3)
    notice = Notification.objects.create(
        recipient=world.fr_admin, kind=Kind.RETENTION_NOTICE, case=case, dedup_key="ret:lang",
        subject="-", body="-",
        params=Notification.params_of(
            body=retention.NOTICE, args={"ref": case.subject.reference,
                                         "case": case.reference, "years": 5},
            dates={"day": day}))
    with translation.override("de"):
        assert day_written("de", day) in notice.text()[1]
    assert day_written("de", day) == "3. Dezember 2026"


def test_finding_notices_keep_their_texts_as_msgids(world):
    for kind, msgid in notices._TEXT.items():
        assert kind in notices.FINDING_KINDS and "%(ref)s" in msgid
