"""End to end, in headless Chromium against a live server: a caseworker records a case with an
assurance, the case is surrendered, a follow-up is reported with a finding, the finding is
shared, a partner's liaison sees it pseudonymised, an auditor exports the PDF report; an
outsider gets 404 on each of those pages. Every page visited must keep to the content security
policy: any violation, reported by the browser, fails the test. Screenshots of the main pages
go to a temporary folder, or to SCREENSHOTS_DIR when set: `make screenshots` refreshes the
README's (docs/screenshots/) so.

Debian's Chromium (/usr/bin/chromium, installed by `make`) is driven by Playwright for Python.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

from cases import name_index

# Playwright's synchronous API runs an event loop in this thread; the test's own ORM calls
# (reading ids to visit) are plain synchronous calls all the same.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _required(module: str):
    """The module, or a skip where it is not installed; in CI (CI=true) its absence fails."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        try:
            return importlib.import_module(module)
        except ImportError as error:
            pytest.fail(f"CI runs the browser test, and {module} is missing: {error}",
                        pytrace=False)
    return pytest.importorskip(module)


playwright = _required("playwright.sync_api")
axe = _required("axe_playwright_python.sync_playwright")

# Its live server flushes the database its own way: the Makefile runs this module in a pytest
# process of its own, after the others.
pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The automated accessibility audit (axe-core) checks every page shot against these.
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PASSWORD = "correct horse battery staple"
SUBJECT_NAME = "Wen Shulan-Testperson"
# Each page reports what the content security policy blocked on it to the console, where the
# test hears it (CSP_VIOLATIONS), whichever page or navigation it happened on.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => console.error(
  `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline code"}`
  + ` at ${event.sourceFile || document.location.href}:${event.lineNumber}`));
"""
CSP_VIOLATIONS: list[str] = []


def watch_csp(context) -> None:
    """Every page of the browser context reports its CSP violations into CSP_VIOLATIONS."""
    context.add_init_script(REPORT_CSP_VIOLATIONS)

    def heard(message) -> None:
        if "CSP violation" in message.text or "Content Security Policy" in message.text:
            CSP_VIOLATIONS.append(f"{message.page.url if message.page else ''}: {message.text}")

    context.on("console", heard)


@pytest.fixture(autouse=True)
def no_csp_violation():
    CSP_VIOLATIONS.clear()
    yield
    assert not CSP_VIOLATIONS, "\n".join(CSP_VIOLATIONS)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: never into the project unless asked for."""
    chosen = os.environ.get("SCREENSHOTS_DIR")
    return Path(chosen).resolve() if chosen else tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


class Person:
    """A signed-in browser tab of one user: platform staff, who always need two factors, sign
    in with the code of an authenticator app of theirs, computed here."""

    def __init__(self, browser, live_server, username: str, shots: Path | None = None):
        self.base = live_server.url
        self.shots = shots
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           locale="en-GB")
        watch_csp(self.context)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.go("/accounts/login/")
        self.page.fill('[name="username"]', username)
        self.page.fill('[name="password"]', PASSWORD)
        self.page.locator('main form button[type="submit"]').click()
        self.page.wait_for_load_state()
        if "/accounts/verify/" in self.page.url:
            self.page.fill('[name="code"]', app_code(username))
            self.page.get_by_role("button", name="Continue").click()
        self.page.wait_for_url(f"{self.base}/")

    def go(self, path: str):
        return self.page.goto(self.base + path)

    def submit(self, label: str) -> None:
        self.page.get_by_role("button", name=label).click()
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        """A screenshot of the page, once axe-core found nothing against WCAG 2.1 A and AA."""
        self.check_accessible()
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(self.shots / f"{name}.png"), full_page=True)

    def check_accessible(self) -> None:
        violations = accessibility_violations(self.page)
        assert not violations, violations

    def close(self) -> None:
        self.context.close()


def app_code(username: str) -> str:
    """The code the user's authenticator app shows now (one is made if the user has none)."""
    from django.contrib.auth import get_user_model

    from ..factories import totp_code

    return totp_code(get_user_model().objects.get(username=username))


def accessibility_violations(page) -> str:
    """What axe-core finds against WCAG 2.1 A and AA on the page: a report, empty if nothing."""
    results = axe.Axe().run(page, options={
        "runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return f"{page.url}\n{results.generate_report()}" if results.violations_count else ""


def _transition(person: Person, case_id, to: str, on: str) -> None:
    person.go(f"/cases/{case_id}/status/")
    person.page.select_option('[name="to"]', to)
    person.page.fill('[name="date"]', on)
    person.page.locator('main form button[type="submit"]').click()
    person.page.wait_for_url(f"{person.base}/cases/{case_id}/")


@pytest.mark.django_db(transaction=True)
def test_a_case_from_record_to_shared_finding_and_report(browser, live_server, world, shots):
    from cases.models import Assurance, Case, Subject
    from monitoring.models import Finding, FollowUp
    from reporting.models import Export

    # The caseworker records the subject and the case, shared with the FR-DE group.
    worker = Person(browser, live_server, "fr_caseworker", shots)
    worker.shot("dashboard")
    worker.go("/subjects/new/")
    worker.page.fill('[name="full_name"]', SUBJECT_NAME)
    # She agreed that her case be shared with the partner ministry.
    worker.page.check('[name="consent_to_share"]')
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    subject = Subject.objects.get(name_index.matches(SUBJECT_NAME))

    # From the subject's page to its new case; the field suggests subjects as one types.
    worker.page.get_by_role("link", name="New case for this subject").click()
    worker.page.wait_for_load_state()
    assert worker.page.input_value('[name="subject"]') == subject.reference
    # Names are found by whole words (the index holds no prefixes): "Wen Shulan" finds her.
    worker.page.fill('[name="subject"]', "")
    worker.page.locator('[name="subject"]').press_sequentially(SUBJECT_NAME.split("-")[0])
    suggestion = worker.page.locator(f'#id_subject_options option[value="{subject.reference}"]')
    suggestion.wait_for(state="attached")
    worker.page.fill('[name="subject"]', subject.reference)
    worker.page.select_option('[name="requesting_state"]', "CN")
    worker.page.select_option('[name="requested_state"]', "FR")
    worker.page.select_option('[name="channel"]', "extradition")
    worker.page.fill('[name="request_date"]', "2026-01-05")
    worker.page.select_option('[name="tlp"]', "amber")
    worker.page.select_option('[name="distribution"]', "sharing_group")
    worker.page.select_option('[name="sharing_group"]', str(world.fr_de_group.pk))
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    case = Case.objects.get(subject=subject)
    assert worker.page.url == f"{live_server.url}/cases/{case.pk}/"

    worker.go(f"/cases/{case.pk}/assurances/new/")
    worker.page.select_option('[name="type"]', "monitoring_access")
    worker.page.fill('[name="verbatim_text"]', "Consular officers may visit in private.")
    worker.page.select_option('[name="form"]', "diplomatic_note")
    worker.page.fill('[name="issuer"]', "Ministry of Foreign Affairs")
    worker.page.select_option('[name="issuer_level"]', "central_government")
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    assurance = Assurance.objects.get(case=case)

    # Through the decision to surrender (day 0), which starts monitoring in the same step.
    for to, on in (("judicial_phase", "2026-01-10"), ("executive_decision", "2026-02-01"),
                   ("surrendered", "2026-02-10")):
        _transition(worker, case.pk, to, on)
    case.refresh_from_db()
    assert case.status == "monitoring_active"
    worker.go("/cases/")
    worker.shot("case-list")

    # The first private visit, reported with a finding on the assurance.
    follow_up = FollowUp.objects.filter(case=case).order_by("due_at").first()
    worker.go(f"/follow-ups/{follow_up.pk}/report/")
    worker.page.fill('[name="checked_at"]', "2026-02-11T10:00")
    worker.page.select_option('[name="access"]', "granted")
    row = "finding-0"
    worker.page.select_option(f'[name="{row}-outcome"]', "complied")
    worker.page.select_option(f'[name="{row}-severity"]', "low")
    worker.shot("check-report-form")
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    finding = Finding.objects.get(case=case, assurance=assurance)

    # The finding is shared with the group, under TLP:AMBER.
    worker.go(f"/findings/{finding.pk}/share/")
    worker.page.select_option('[name="distribution"]', "sharing_group")
    worker.page.select_option('[name="sharing_group"]', str(world.fr_de_group.pk))
    worker.page.select_option('[name="tlp"]', "amber")
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    finding.refresh_from_db()
    assert finding.distribution == "sharing_group" and finding.shared_at is not None
    worker.go(f"/cases/{case.pk}/")
    assert SUBJECT_NAME in worker.page.content()
    worker.shot("case-page")
    worker.close()

    # The partner's liaison sees the finding under the subject's pseudonym only.
    partner = Person(browser, live_server, "de_liaison", shots)
    for path in (f"/findings/{finding.pk}/", f"/cases/{case.pk}/"):
        response = partner.go(path)
        assert response.status == 200, path
        content = partner.page.content()
        assert subject.reference in content
        assert SUBJECT_NAME not in content
    partner.go(f"/findings/{finding.pk}/")
    partner.shot("finding-as-partner")
    partner.close()

    # The auditor exports the compliance report as a PDF.
    auditor = Person(browser, live_server, "fr_auditor", shots)
    # The dashboard fetches the record once shown: one case is a cell of fewer than three.
    auditor.page.locator("#record-summary table").wait_for()
    assert "Fewer than three cases" in auditor.page.inner_text("#record-summary")
    auditor.shot("dashboard-auditor")
    auditor.go("/record/")
    auditor.shot("compliance-record")
    auditor.go("/exports/new/?kind=compliance")
    auditor.page.select_option('[name="format"]', "pdf")
    auditor.page.locator('main form button[type="submit"]').click()
    auditor.page.wait_for_load_state()
    export = Export.objects.get(requester=world.fr_auditor, format="pdf")
    assert export.status == "ready"
    auditor.go(f"/exports/{export.pk}/")
    auditor.shot("export")
    pdf = auditor.context.request.get(f"{live_server.url}/exports/{export.pk}/download/")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    auditor.close()

    # An outsider finds none of it.
    outsider = Person(browser, live_server, "it_caseworker")
    for path in (f"/cases/{case.pk}/", f"/subjects/{subject.pk}/",
                 f"/follow-ups/{follow_up.pk}/report/", f"/findings/{finding.pk}/",
                 f"/findings/{finding.pk}/share/", f"/exports/{export.pk}/",
                 f"/exports/{export.pk}/download/"):
        assert outsider.go(path).status == 404, path
    # The audit itself finds what it is there to find: a field without a label.
    outsider.go("/cases/")
    outsider.page.evaluate("document.querySelector('main').append("
                           "Object.assign(document.createElement('input'), {type: 'text'}))")
    with pytest.raises(AssertionError, match="label"):
        outsider.check_accessible()
    # And the browser reports what the policy blocks: an inline script.
    outsider.page.evaluate("document.head.append(Object.assign("
                           "document.createElement('script'), {textContent: '1'}))")
    outsider.page.wait_for_timeout(200)
    assert any("script-src" in violation for violation in CSP_VIOLATIONS), CSP_VIOLATIONS
    CSP_VIOLATIONS.clear()
    outsider.close()

    # The platform staff's pages: the API documentation and the admin.
    app_code("platform_staff")
    staff = Person(browser, live_server, "platform_staff")
    staff.go("/api/docs/")
    staff.page.locator(".swagger-ui .information-container").wait_for()
    for path in ("/admin/", "/admin/cases/case/", "/admin/cases/organisation/",
                 f"/admin/cases/organisation/{world.ngo_fr.pk}/change/",
                 "/admin/cases/organisation/add/", "/api/v1/me/", "/api/v1/cases/"):
        assert staff.go(path).status == 200, path
    staff.close()

    _audit_the_other_pages(browser, live_server, world, case)


def _audit_the_other_pages(browser, live_server, world, case) -> None:
    """The accessibility audit of the pages not shot above: sign-in, forms empty and with
    their errors shown, lists, and the org admin's pages. (One test with the main path: the
    live server's flush after a test empties the reference data a next one would need.)"""
    failures = []

    def audit(page, path: str | None = None) -> None:
        if path is not None:
            # A filter that is no date is the record page with its error: a 400.
            expected = 400 if "2026-13-01" in path else 200
            assert page.goto(live_server.url + path).status == expected, path
        failures.append(accessibility_violations(page))

    anonymous_context = browser.new_context(locale="en-GB")
    watch_csp(anonymous_context)
    anonymous = anonymous_context.new_page()
    for path in ("/accounts/login/", "/accounts/password/reset/"):
        audit(anonymous, path)

    admin = Person(browser, live_server, "fr_admin")
    for path in ("/cases/?q=nothing-matches", "/cases/new/", "/subjects/new/",
                 f"/cases/{case.pk}/edit/", f"/cases/{case.pk}/status/",
                 f"/cases/{case.pk}/assurances/new/", f"/cases/{case.pk}/proceedings/new/",
                 "/follow-ups/", "/shared-with-us/", "/notifications/", "/exports/",
                 "/exports/new/", "/record/?observed_after=2026-13-01", "/audit/",
                 "/members/", "/members/add/", "/groups/", "/groups/new/",
                 f"/groups/{world.fr_de_group.pk}/", "/accounts/password/",
                 "/accounts/two-factor/", "/accounts/sessions/", "/accounts/tokens/",
                 "/accounts/organisation/", "/accounts/tokens/organisations/ngo-fr/",
                 f"/accounts/members/{world.fr_liaison.memberships.get().pk}/reset-factors/"):
        audit(admin.page, path)
    # Each form once more, sent empty: its errors shown next to its fields.
    for path in ("/cases/new/", "/subjects/new/", f"/cases/{case.pk}/assurances/new/",
                 "/members/add/", "/groups/new/"):
        admin.go(path)
        admin.page.locator("main form button[type='submit']").first.click()
        admin.page.wait_for_load_state()
        assert admin.page.locator(".error, .errors").count(), path
        audit(admin.page)
    admin.close()
    assert len(failures) == 33
    assert not any(failures), "\n\n".join(filter(None, failures))
