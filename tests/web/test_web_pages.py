"""Every page of the web application has its access covered by a test module's `PAGES`."""

from django.urls import URLPattern, URLResolver, get_resolver

from ..accounts import test_language_preference, test_tokens_web
from ..cases import test_share_consent
from ..imports import test_import_pages
from ..monitoring import test_calendar_feed, test_evidence_preview
from ..reporting import test_case_file
from . import (
    test_bulk_actions,
    test_saved_filters,
    test_web_accounts,
    test_web_cases,
    test_web_exports,
    test_web_foundation,
    test_web_monitoring,
    test_web_organisation,
)

COVERED = set().union(*(m.PAGES for m in (test_web_accounts, test_web_cases, test_web_exports,
                                          test_web_foundation, test_web_monitoring,
                                          test_web_organisation, test_tokens_web,
                                          test_evidence_preview, test_saved_filters,
                                          test_bulk_actions, test_language_preference,
                                          test_case_file, test_share_consent,
                                          test_calendar_feed, test_import_pages)))
# Not pages of the application: the API, its documentation, the platform staff's admin, the
# language switch (Django's own view, tested by the foundation) and the load balancers' health
# endpoint (tests/monitoring/test_health.py).
ELSEWHERE = ("api/", "admin/", "i18n/", "health/")


def _pages(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(ELSEWHERE):
            continue
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _pages(pattern, route, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", route


def test_every_page_has_its_access_tested():
    missing = sorted(f"{name} ({route})" for name, route in _pages() if name not in COVERED)
    assert not missing, "pages without access tests: " + ", ".join(missing)


def test_every_page_has_a_name():
    resolver = get_resolver()
    unnamed = [str(p.pattern) for p in resolver.url_patterns
               if isinstance(p, URLPattern) and not p.name]
    assert not unnamed
