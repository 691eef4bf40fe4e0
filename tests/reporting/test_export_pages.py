"""The export pages: the chosen kind marked among the tabs, an export's filters in words, and
its dates and times without "a.m." (a sentence's full stop made it "a.m..")."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from reporting.exports import services as exports
from reporting.models import Export

from .test_compliance_record import instrument

PASSWORD = "correct horse battery staple"
TWELVE_HOUR = re.compile(r"\b(a\.m\.|p\.m\.|noon|midnight)")


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_the_chosen_kind_is_marked_among_the_tabs(world):
    page = signed_in(world.fr_caseworker).get(
        reverse("reporting:export_create"), {"kind": "findings"}).content.decode()
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', page, re.S)[1]
    current = re.findall(r'<a href="\?kind=(\w+)" aria-current="page">', tabs)
    assert current == ["findings"]
    assert tabs.count("<a ") == len(Export.Kind.choices)
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    assert re.search(r'nav\.tabs a\[aria-current="page"\] \{[^}]*font-weight: bold', css)


@pytest.mark.django_db
def test_an_exports_filters_are_shown_in_words(world):
    user = world.fr_caseworker
    treaty = instrument("FR")
    export = exports.export_request(
        actor=user, kind=Export.Kind.COMPLIANCE, format=Export.Format.JSON,
        filters={"requesting_state": "CN", "legal_instrument": treaty.pk,
                 "assurance_type": "no_torture", "observed_after": "2025-01-01",
                 "group_by": ["assurance_type", "year"]})
    page = signed_in(user).get(reverse("reporting:export_detail", args=[export.pk]))
    facts = re.sub(r"\s+", " ", page.content.decode())
    filters = re.search(r"<dt>Filters</dt><dd>(.*?)</dd>", facts)[1]
    assert filters == (
        f"Requesting state: China; Legal instrument: {treaty.title}; "
        "Assurance type: No torture or ill-treatment; Observed on or after: 1 Jan 2025; "
        "Group by: Assurance type, Year observed")
    assert "requesting_state" not in filters and "no_torture" not in filters

    findings = exports.export_request(actor=user, kind=Export.Kind.FINDINGS,
                                      format=Export.Format.CSV,
                                      filters={"outcome": ["breach", "access_denied"],
                                               "is_open": "true"})
    page = signed_in(user).get(reverse("reporting:export_detail", args=[findings.pk]))
    assert "Outcome: Breach, Access denied; Open or closed: Open" in page.content.decode()


@pytest.mark.django_db
def test_export_dates_and_times_have_no_am_or_pm(world):
    user = world.fr_caseworker
    user.first_name, user.last_name = "Claire", "Dubois"
    user.save(update_fields=["first_name", "last_name"])
    export = exports.export_request(actor=user, kind=Export.Kind.CASES,
                                    format=Export.Format.CSV)
    morning = datetime.datetime(2026, 3, 10, 9, 5, tzinfo=datetime.UTC)
    Export.objects.filter(pk=export.pk).update(created_at=morning - datetime.timedelta(days=1),
                                               expires_at=morning)
    client = signed_in(user)
    detail = client.get(reverse("reporting:export_detail", args=[export.pk])).content.decode()
    assert "Kept until 10/03/2026 09:05." in detail
    assert "<dd>09/03/2026 09:05</dd>" in detail
    assert "<dd>Claire Dubois</dd>" in detail
    listing = client.get(reverse("reporting:export_list")).content.decode()
    assert "09/03/2026 09:05" in listing and "10/03/2026 09:05" in listing
    assert "Claire Dubois · Ngo Fr" in listing
    for page in (detail, listing):
        assert not TWELVE_HOUR.search(page), TWELVE_HOUR.search(page)
