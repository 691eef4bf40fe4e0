"""The web application's frame: signing in, the dashboard of each role, the acting
organisation, the language, and pages that answer 404 for what a user may not see."""

import pytest
from django.test import Client

from ..factories import MembershipFactory

PASSWORD = "correct horse battery staple"

# The pages of the frame whose access these tests cover.
PAGES = {"dashboard", "login", "logout", "password_change", "password_change_done",
         "password_reset", "password_reset_done", "password_reset_confirm",
         "password_reset_complete", "cases:switch_organisation"}


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_pages_need_a_sign_in(db, client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_sign_in_page_and_sign_in(world, client):
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert b'<label for="id_username">' in page.content
    response = client.post("/accounts/login/", {"username": "fr_caseworker",
                                                "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_password_keeps_the_username_and_says_why(world, client):
    response = client.post("/accounts/login/", {"username": "fr_caseworker",
                                                "password": "nope"})
    assert response.status_code == 200
    assert b'value="fr_caseworker"' in response.content
    assert b'class="errors error-summary"' in response.content


@pytest.mark.parametrize("who", ["fr_caseworker", "fr_liaison", "fr_auditor", "fr_admin"])
def test_the_dashboard_of_each_role(world, who):
    response = signed_in(getattr(world, who)).get("/")
    assert response.status_code == 200
    assert b"<main" in response.content
    assert (b"Compliance record by requesting state" in response.content) == (who == "fr_auditor")


def test_a_member_of_two_organisations_chooses_the_acting_one(world):
    MembershipFactory(user=world.fr_caseworker, organisation=world.ngo_it, role="auditor")
    client = signed_in(world.fr_caseworker)
    page = client.get("/").content.decode()
    assert 'name="organisation"' in page
    client.post("/organisation/switch/", {"organisation": "ngo-it", "next": "/"})
    page = client.get("/").content.decode()
    assert '<option value="ngo-it" selected>' in page
    # An organisation of which the user is no member is refused.
    response = client.post("/organisation/switch/", {"organisation": "ministry-de",
                                                     "next": "https://evil.example/"},
                           follow=False)
    assert response["Location"] == "/"
    assert '<option value="ngo-it" selected>' in client.get("/").content.decode()


def test_pages_speak_french_and_german(world):
    client = signed_in(world.fr_caseworker)
    client.post("/i18n/setlang/", {"language": "fr", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="fr">' in page and "Tableau de bord" in page
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    page = client.get("/").content.decode()
    assert '<html lang="de">' in page and "Übersicht" in page


def test_sign_out(world):
    client = signed_in(world.fr_caseworker)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_change_and_reset_pages(world, client, mailoutbox):
    signed = signed_in(world.fr_caseworker)
    assert signed.get("/accounts/password/").status_code == 200
    response = signed.post("/accounts/password/", {
        "old_password": PASSWORD, "new_password1": "another long passphrase 2026",
        "new_password2": "another long passphrase 2026"})
    assert response.status_code == 302
    assert signed.get("/accounts/password/done/").status_code == 200
    world.fr_caseworker.email = "fr@example.org"
    world.fr_caseworker.save()
    assert client.post("/accounts/password/reset/", {"email": "fr@example.org"}).status_code == 302
    assert len(mailoutbox) == 1 and "/accounts/password/reset/" in mailoutbox[0].body
    link = next(line for line in mailoutbox[0].body.splitlines() if "/reset/" in line)
    page = client.get(link[link.index("/accounts"):], follow=True)
    assert page.status_code == 200 and b"new_password1" in page.content
    assert client.get("/accounts/password/reset/sent/").status_code == 200
    assert client.get("/accounts/password/reset/done/").status_code == 200
