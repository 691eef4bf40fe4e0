"""Two factors in headless Chromium: a member of an organisation that requires them sets up an
authenticator app, then a passkey on Chromium's virtual authenticator (its DevTools protocol
offers one), and signs in with each; another signs in with the code of an app computed here.
Every page on the way passes the accessibility audit, and none reports a violation of the
content security policy (the passkey scripts included).
"""

from __future__ import annotations

import pyotp
import pytest

from ..factories import app_code, authenticator_app
from .test_browser import (  # noqa: F401
    PASSWORD,
    accessibility_violations,
    browser,
    no_csp_violation,
    watch_csp,
)

# Any violation of the content security policy on any page fails the test.
pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("no_csp_violation")]


class Tab:
    def __init__(self, browser, live_server):  # noqa: F811
        self.base = live_server.url
        self.context = browser.new_context(locale="en-GB")
        watch_csp(self.context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.audited = []
        self.console = []
        self.page.on("console", lambda message: self.console.append(message.text))
        self.page.on("pageerror", lambda error: self.console.append(str(error)))

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def audit(self) -> None:
        self.audited.append(self.page.url)
        violations = accessibility_violations(self.page)
        assert not violations, violations

    def password(self, username: str) -> None:
        self.go("/accounts/login/")
        self.page.fill('[name="username"]', username)
        self.page.fill('[name="password"]', PASSWORD)
        self.page.locator('main form button[type="submit"]').click()
        self.page.wait_for_load_state()

    def sign_out(self) -> None:
        self.page.locator("header form[action='/accounts/logout/'] button").click()
        self.page.wait_for_url(f"{self.base}/accounts/login/")


def _fresh_code(secret: str, used: set[str]) -> str:
    """The app's code now, once it is not one already used (a code signs in once)."""
    totp = pyotp.TOTP(secret)
    code = totp.now()
    while code in used:
        import time

        time.sleep(1)
        code = totp.now()
    used.add(code)
    return code


@pytest.fixture
def reference_data(transactional_db):
    """The countries the named actors need: the live server's flush after the main browser
    test emptied them (they come from a migration)."""
    import importlib

    from django.apps import apps

    from cases.models import Country

    if not Country.objects.exists():
        importlib.import_module("cases.migrations.0002_reference_data").load(apps, None)


@pytest.mark.django_db(transaction=True)
def test_two_factors_app_passkey_and_code(browser, live_server, reference_data,  # noqa: F811
                                          world):
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_otp_webauthn.models import WebAuthnCredential

    from cases.models import Organisation

    Organisation.objects.filter(pk=world.ngo_fr.pk).update(mfa_required=True)

    # Past the password, the caseworker is sent to set up a second factor.
    tab = Tab(browser, live_server)
    tab.password("fr_caseworker")
    assert tab.page.url.startswith(f"{tab.base}/accounts/two-factor/")
    tab.audit()
    tab.page.get_by_role("link", name="Add an authenticator app").click()
    tab.page.wait_for_load_state()
    tab.audit()
    secret = tab.page.locator("code.secret").inner_text().replace(" ", "")
    used: set[str] = set()
    tab.page.fill('[name="name"]', "phone")
    tab.page.fill('[name="code"]', _fresh_code(secret, used))
    tab.page.locator('main form button[type="submit"]').click()
    tab.page.wait_for_load_state()
    assert tab.page.locator("ul.codes li").count() == 10
    tab.audit()
    tab.page.get_by_role("link", name="I have kept them").click()
    tab.page.wait_for_url(f"{tab.base}/")
    tab.go("/accounts/two-factor/")
    assert TOTPDevice.objects.filter(user=world.fr_caseworker).count() == 1

    # A passkey on Chromium's virtual authenticator.
    devtools = tab.context.new_cdp_session(tab.page)
    devtools.send("WebAuthn.enable")
    devtools.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True}})
    tab.page.get_by_role("button", name="Add a passkey or security key").click()
    tab.page.wait_for_function("() => document.querySelectorAll('main li').length >= 2")
    assert WebAuthnCredential.objects.filter(user=world.fr_caseworker).count() == 1
    tab.audit()

    # Signing in again: the passkey.
    tab.sign_out()
    tab.password("fr_caseworker")
    assert tab.page.url.startswith(f"{tab.base}/accounts/verify/")
    tab.audit()
    tab.page.get_by_role("button", name="Use a passkey").click()
    tab.page.wait_for_url(f"{tab.base}/")

    # And with the app's code.
    tab.sign_out()
    tab.password("fr_caseworker")
    tab.page.fill('[name="code"]', _fresh_code(secret, used))
    tab.page.get_by_role("button", name="Continue").click()
    tab.page.wait_for_url(f"{tab.base}/")
    tab.go("/accounts/sessions/")
    tab.audit()
    # In the session that passed two factors, an API token, its secret shown once.
    tab.go("/accounts/tokens/")
    tab.audit()
    tab.page.fill('[name="name"]', "nightly import")
    tab.page.get_by_role("button", name="Create the token").click()
    tab.page.wait_for_load_state()
    tab.audit()
    tab.context.close()

    # Another member's app, its code computed here.
    other = Tab(browser, live_server)
    device = authenticator_app(world.fr_liaison)
    other.password("fr_liaison")
    other.page.fill('[name="code"]', app_code(device))
    other.page.get_by_role("button", name="Continue").click()
    other.page.wait_for_url(f"{other.base}/")
    other.context.close()
