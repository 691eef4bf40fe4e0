"""A person's language: chosen on their preferences page or in the language menu, audited,
followed by the pages on any device (not by the API, which answers in the request's
language), and by the exports they ask for."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from accounts import preferences
from accounts.models import UserPreference
from cases.models import AuditEvent
from reporting.exports import build
from reporting.models import Export

from ..conftest import api_client
from ..factories import CaseFactory, authenticator_app, sign_in_with_two_factors
from .support import password_only

# The pages of this module, for the access test of every page (tests/web/test_web_pages.py).
PAGES = {"accounts:preferences", "accounts:language_switch"}


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings.MEDIA_ROOT


def signed_in(user) -> Client:
    client = Client()
    sign_in_with_two_factors(client, user)
    return client


def language_events(user):
    return AuditEvent.objects.filter(actor=user, action=AuditEvent.Action.UPDATE,
                                     detail__has_key="language")


def chosen(user) -> str:
    return UserPreference.objects.filter(user=user).values_list("language", flat=True).first()


# --- the service -----------------------------------------------------------------------------


def test_setting_ones_language_is_audited_once_per_change(world):
    user = world.fr_caseworker
    assert preferences.language_of(user) == ""
    assert preferences.language_for_mail(user) == settings.LANGUAGE_CODE

    preferences.language_set(actor=user, language="de")
    preferences.language_set(actor=user, language="de")

    assert preferences.language_of(user) == preferences.language_for_mail(user) == "de"
    event = language_events(user).get()
    assert event.detail["language"] == "de" and event.detail["language_before"] == ""
    assert event.organisation_id == world.ngo_fr.pk

    preferences.language_set(actor=user, language="")
    assert preferences.language_of(user) == ""
    assert language_events(user).count() == 2


def test_a_language_not_offered_is_refused(world):
    with pytest.raises(ValidationError):
        preferences.language_set(actor=world.fr_caseworker, language="es")
    assert chosen(world.fr_caseworker) is None
    assert not language_events(world.fr_caseworker).exists()


# --- the pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_anonymous_is_sent_to_sign_in_or_only_gets_the_cookie(db, client, name):
    if name == "accounts:preferences":
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    else:
        response = client.post(reverse(name), {"language": "fr", "next": "/"})
        assert response.status_code == 302
        assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
        assert not UserPreference.objects.exists()


def test_the_preferences_page_sets_the_language_and_the_pages_follow(world):
    user = world.fr_caseworker
    client = signed_in(user)
    page = client.get(reverse("accounts:preferences"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert '<option value="" selected>' in page.content.decode()

    response = client.post(reverse("accounts:preferences"), {"language": "de"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 302
    assert chosen(user) == "de" and language_events(user).count() == 1
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "de"
    assert '<html lang="de">' in page.content.decode()
    with translation.override("de"):
        assert _("Your language was saved.") in page.content.decode()


def test_a_language_not_offered_is_refused_on_the_page(world):
    client = signed_in(world.fr_caseworker)
    response = client.post(reverse("accounts:preferences"), {"language": "es"})
    assert response.status_code == 400
    assert chosen(world.fr_caseworker) is None


def test_the_language_menu_keeps_the_choice_of_a_signed_in_person(world):
    user = world.fr_caseworker
    client = signed_in(user)
    page = client.get("/").content.decode()
    assert f'action="{reverse("accounts:language_switch")}"' in page

    response = client.post(reverse("accounts:language_switch"),
                           {"language": "fr", "next": "/cases/"})

    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert chosen(user) == "fr" and language_events(user).count() == 1
    # Another device, whose browser asks for German, shows French.
    other = signed_in(user)
    page = other.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "fr" and '<html lang="fr">' in page.content.decode()


def test_a_session_before_its_second_factor_changes_only_the_cookie(world):
    user = world.fr_caseworker
    authenticator_app(user)
    client = password_only(user)
    response = client.post(reverse("accounts:language_switch"), {"language": "de", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "de"
    assert chosen(user) is None


# --- the middleware --------------------------------------------------------------------------


def test_without_a_choice_the_pages_follow_the_browser(world):
    client = signed_in(world.fr_caseworker)
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "de"
    assert "Accept-Language" in page["Vary"]


def test_the_chosen_language_wins_over_the_browser_and_the_cookie(world):
    preferences.language_set(actor=world.fr_caseworker, language="de")
    client = signed_in(world.fr_caseworker)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "de"
    vary = {v.strip() for v in page["Vary"].split(",")}
    assert {"Cookie", "Accept-Language"} <= vary
    # Another person's pages are untouched.
    page = signed_in(world.fr_admin).get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert page["Content-Language"] == "fr"


def test_the_api_answers_in_the_requests_language(world):
    preferences.language_set(actor=world.fr_caseworker, language="de")
    client = api_client(world.fr_caseworker)
    response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200 and response["Content-Language"] == "fr"
    # Signed in with a session too.
    session = signed_in(world.fr_caseworker)
    response = session.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"


# --- exports ---------------------------------------------------------------------------------


def _headings(export: Export) -> list[str]:
    with export.file.open("rb") as fh:
        sheet = load_workbook(io.BytesIO(fh.read()))["Data"]
    return [cell.value for cell in sheet[1]]


def french(msgid: str) -> str:
    with translation.override("fr"):
        heading = _(msgid)
    assert heading != msgid, f"{msgid!r} has no French translation"
    return heading


def test_an_export_asked_for_in_french_is_written_in_french(world, media_root):
    CaseFactory(owner=world.ngo_fr, reference="X-LANG-1")
    client = api_client(world.fr_caseworker)
    response = client.post("/api/v1/exports/", {"kind": "cases", "format": "xlsx"},
                           format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 201, response.content
    export = Export.objects.get(pk=response.json()["id"])
    assert export.language == "fr" and export.status == Export.Status.READY
    assert french("Reference") in _headings(export)


def test_a_large_export_is_built_in_its_requesters_language_by_a_worker(
        world, media_root, settings, django_capture_on_commit_callbacks):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    CaseFactory(owner=world.ngo_fr, reference="X-LANG-2")
    preferences.language_set(actor=world.fr_caseworker, language="fr")
    # Asked on the page in the chosen language, whatever the browser asks.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = signed_in(world.fr_caseworker).post(
            reverse("reporting:export_create"), {"kind": "cases", "format": "xlsx"},
            HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 302, response.content.decode()[:2000]
    export = Export.objects.get(requester=world.fr_caseworker)
    assert export.status == Export.Status.QUEUED and export.language == "fr" and queued

    # The worker runs in the platform's language.
    with translation.override(settings.LANGUAGE_CODE):
        assert build.export_build(export_id=export.pk, notify=True) == "ready"

    export.refresh_from_db()
    headings = _headings(export)
    assert french("Reference") in headings and "Reference" not in headings
