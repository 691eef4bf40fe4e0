"""The paths people take, in headless Chromium against a live server, counted in page loads:
a caseworker takes one person from the request to a report whose evidence they open, by the
links and buttons the pages offer. Then the main pages of the caseworker, a partner's liaison
and an auditor, in English, French and German at a phone's width (390 px): none scrolls
sideways, each passes the accessibility audit, and no English is left on a French or German
page. Screenshots go where the main browser test puts its own."""

from __future__ import annotations

import datetime
import gettext
import importlib
import io
import re
from pathlib import Path

import pytest
from django.conf import settings

from .test_browser import (
    CSP_VIOLATIONS,
    Person,
    accessibility_violations,
    browser,  # noqa: F401 (a fixture)
    shots,  # noqa: F401 (a fixture)
    watch_csp,
)

pytestmark = pytest.mark.browser

# The caseworker's path, from the dashboard to the opened evidence, in at most this many page
# loads (it took 26 when the pages led nowhere).
MOST_LOADS = 14
PHONE = {"width": 390, "height": 844}
# Words that are English and neither French nor German: one of them in a French or German page
# is a string left untranslated.
ENGLISH = {"the", "and", "of", "with", "your", "this", "is", "are", "has", "have", "from",
           "which", "been", "will", "not", "to", "for", "by", "that", "there", "their", "its",
           "no", "yet", "none", "all", "any", "shared", "case", "cases", "due", "since"}
# Names, not words: the product's name and what the test itself typed.
NAMES = ("Extradition Monitor", "Extradition Monitor ·")

TEXT_NODES = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, parent = node.parentElement;
    if (!parent || parent.closest("script, style, [translate='no'], .user-text")) continue;
    const style = getComputedStyle(parent);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const text = node.textContent.trim();
    if (text) out.push(text);
  }
  for (const el of document.querySelectorAll("[aria-label], [placeholder], [title]")) {
    for (const name of ["aria-label", "placeholder", "title"]) {
      const value = el.getAttribute(name);
      if (value) out.push(value.trim());
    }
  }
  return out;
}"""


def ensure_reference_data() -> None:
    """The countries and instruments, loaded again after another module's live server flushed
    them with everything else."""
    from django.apps import apps

    from cases.models import Country

    if not Country.objects.exists():
        importlib.import_module("cases.migrations.0002_reference_data").load(apps, None)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Before the people of `world` are made: their organisations need their countries."""
    ensure_reference_data()


def catalogue(language: str) -> dict[str, str]:
    path = Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as file:
        return gettext.GNUTranslations(file)._catalog  # the msgid → msgstr table


def untranslated(texts: list[str], language: str, allowed: tuple[str, ...]) -> list[str]:
    """The texts of a French or German page that are English: a catalogue's English string
    shown as is, or a text holding a word that only English has."""
    translated = {k: v for k, v in catalogue(language).items()
                  if isinstance(k, str) and k and v and v != k}
    found = []
    for text in texts:
        rest = text
        for name in (*NAMES, *allowed):
            rest = rest.replace(name, " ")
        # Function words are written in lower case: "BY" (Belarus) or "All" are not them.
        words = set(re.findall(r"[^\W\d_]+", rest))
        if rest.strip() in translated or words & ENGLISH:
            found.append(text)
    return sorted(set(found))


class Counted(Person):
    """A person whose tab counts the pages it loads (each navigation of the main frame)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loads = 0
        self.page.on("load", lambda _page: self._loaded())

    def _loaded(self) -> None:
        self.loads += 1

    def click(self, role: str, name: str) -> None:
        self.page.get_by_role(role, name=name).first.click()
        self.page.wait_for_load_state()


def png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (120, 80), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def phone_person(browser, live_server, username: str, language: str) -> Person:  # noqa: F811
    person = Person.__new__(Person)
    person.base, person.shots = live_server.url, None
    person.context = browser.new_context(viewport=PHONE, locale=language,
                                         extra_http_headers={"Accept-Language": language})
    watch_csp(person.context)
    person.page = person.context.new_page()
    person.page.set_default_timeout(15_000)
    person.go("/accounts/login/")
    person.page.fill('[name="username"]', username)
    person.page.fill('[name="password"]', "correct horse battery staple")
    person.page.locator('main form button[type="submit"]').click()
    person.page.wait_for_url(f"{live_server.url}/")
    return person


@pytest.mark.django_db(transaction=True)
def test_the_caseworker_path_and_the_main_pages_on_a_phone_in_three_languages(
    browser, live_server, world, shots, tmp_path  # noqa: F811
):
    from cases.models import Case
    from monitoring.models import Evidence, Finding, FollowUp

    worker = Counted(browser, live_server, "fr_caseworker", shots)
    worker.loads = 0
    worker.click("link", "New case")
    worker.page.fill('[name="new_subject_full_name"]', "Wen Shulan-Testperson")
    worker.page.select_option('[name="requesting_state"]', "CN")
    worker.page.select_option('[name="requested_state"]', "FR")
    worker.page.select_option('[name="channel"]', "extradition")
    worker.page.fill('[name="request_date"]', (datetime.date.today()
                                               - datetime.timedelta(days=30)).isoformat())
    worker.page.select_option('[name="distribution"]', "organisation")
    worker.click("button", "Create the case")
    case = Case.objects.get(owner=world.ngo_fr)
    assert worker.page.url == f"{live_server.url}/cases/{case.pk}/"
    assert f"Case {case.reference} is recorded" in worker.page.content()

    worker.click("link", "Add the first assurance")
    worker.page.select_option('[name="type"]', "monitoring_access")
    worker.page.fill('[name="verbatim_text"]', "Consular officers may visit in private.")
    worker.page.select_option('[name="form"]', "diplomatic_note")
    worker.page.fill('[name="issuer"]', "Ministry of Foreign Affairs")
    worker.page.select_option('[name="issuer_level"]', "central_government")
    worker.click("button", "Add the assurance")

    for status in ("Judicial phase", "Assurances requested", "Assurances assessed",
                   "Executive decision"):
        worker.click("button", f"Move on today to “{status}”")
    worker.click("button", "Record the surrender today and start monitoring")
    case.refresh_from_db()
    assert case.status == "monitoring_active"
    visit = FollowUp.objects.get(case=case)
    assert visit.assignee == world.fr_caseworker

    worker.click("link", "Report")
    worker.page.fill('[name="checked_at"]', datetime.datetime.now().strftime("%Y-%m-%dT%H:%M"))
    worker.page.select_option('[name="access"]', "granted")
    worker.page.select_option('[name="finding-0-outcome"]', "complied")
    worker.page.select_option('[name="finding-0-severity"]', "low")
    photo = tmp_path / "visit.png"
    photo.write_bytes(png())
    worker.page.set_input_files('[name="evidence"]', str(photo))
    worker.page.locator('main form button[type="submit"]').click()
    worker.page.wait_for_load_state()
    evidence = Evidence.objects.get(report__follow_up=visit)
    finding = Finding.objects.get(case=case)
    worker.page.locator(f'a[href="/evidence/{evidence.pk}/"]').first.click()
    worker.page.wait_for_load_state()
    preview = worker.page.locator("main img").first
    preview.wait_for()
    assert worker.page.evaluate("(img) => img.naturalWidth", preview.element_handle()) > 0
    print(f"caseworker path: {worker.loads} page loads")
    assert worker.loads <= MOST_LOADS, worker.loads
    worker.shot("evidence")
    worker.close()

    # The main pages, in three languages at a phone's width.
    failures: list[str] = []
    pages = {
        "fr_caseworker": ["/", "/cases/", f"/cases/{case.pk}/", "/follow-ups/",
                          f"/follow-ups/{visit.pk}/", "/notifications/", "/cases/new/",
                          f"/cases/{case.pk}/status/", f"/subjects/{case.subject_id}/",
                          f"/cases/{case.pk}/assurances/new/", f"/evidence/{evidence.pk}/",
                          f"/findings/{finding.pk}/", "/imports/", "/calendar/"],
        "de_liaison": ["/", "/shared-with-us/", "/cases/"],
        "fr_auditor": ["/", "/record/", "/exports/", "/exports/new/?kind=compliance"],
    }
    typed = ("Wen Shulan-Testperson", "Consular officers may visit in private.",
             "Ministry of Foreign Affairs", case.reference)
    for language in ("en", "fr", "de"):
        for username, paths in pages.items():
            person = phone_person(browser, live_server, username, language)
            if language == "en" and username == "fr_caseworker":
                # The menu is folded behind its button, and opens with it.
                cases = person.page.locator("#main-menu").get_by_role("link", name="Cases")
                assert not cases.is_visible()
                person.page.get_by_role("button", name="Menu").click()
                assert cases.is_visible()
            for path in paths:
                assert person.go(path).status == 200, (language, path)
                # What the page fetches once shown (the auditor's record) is there too.
                person.page.wait_for_load_state("networkidle")
                person.page.wait_for_timeout(50)
                where = f"{language} {username} {path}"
                wide = person.page.evaluate(
                    "() => document.documentElement.scrollWidth - window.innerWidth")
                if wide > 0:
                    failures.append(f"{where}: {wide} px wider than the screen")
                violations = accessibility_violations(person.page)
                if violations:
                    failures.append(f"{where}: {violations}")
                if language != "en":
                    english = untranslated(person.page.evaluate(TEXT_NODES), language, typed)
                    if english:
                        failures.append(f"{where}: English left: {english}")
            if language == "fr" and shots:
                person.page.screenshot(path=str(shots / f"phone-{username}.png"), full_page=True)
            person.context.close()
    assert not failures, "\n".join(failures)
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS
