"""One rule for rates (reporting/rates.py): half up to one decimal, the same figure on the
record's page, in its API, in the PDF report and on its charts.

5 of 16 is 31.25%: half up 31.3%, where Python's `round` and Django's `widthratio` (halves to
even) gave 31.2% and 31%. 1 of 16 is 6.25%: 6.3%, not 6.2%.
"""

from __future__ import annotations

import base64
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from monitoring.models import CheckReport, Finding
from reporting import rates
from reporting.exports import report
from reporting.record import compliance_record

from ..conftest import api_client
from .test_compliance_record import check, make_case

O = Finding.Outcome  # noqa: E741
NT = "no_torture"
PASSWORD = "correct horse battery staple"


@pytest.mark.parametrize("numerator, denominator, expected", [
    (1, 8, Decimal("12.5")), (5, 16, Decimal("31.3")), (1, 16, Decimal("6.3")),
    (3, 16, Decimal("18.8")), (1, 3, Decimal("33.3")), (2, 3, Decimal("66.7")),
    (0, 5, Decimal("0.0")), (7, 7, Decimal("100.0")),
])
def test_percent_rounds_half_up_to_one_decimal(numerator, denominator, expected):
    assert rates.percent(numerator, denominator) == expected
    # The share the record keeps is the same figure: shown again, it gives it back.
    share = rates.share(numerator, denominator)
    assert rates.percent_of_share(share) == expected


def test_nothing_of_nothing_is_no_rate():
    assert rates.percent(0, 0) is None and rates.share(3, 0) is None
    assert rates.share_label(None) == "—"


def test_rates_and_changes_are_written_in_the_language_of_the_page():
    assert rates.share_label(0.313) == "31.3%"
    assert rates.points(Decimal("-2.0")) == "\N{MINUS SIGN}2.0 pts"
    assert rates.signed(3) == "+3" and rates.signed(0) == "±0"
    with translation.override("fr"):
        assert rates.share_label(0.313).startswith("31,3")


@pytest.fixture
def sixteen_checks(world):
    """Four cases to China, four checks each in 2025: five checks refused, one finding
    unverifiable, one finding a check."""
    refused = iter([True] * 5 + [False] * 11)
    unverifiable = iter([True] + [False] * 15)
    for n in range(4):
        case = make_case(world.ngo_fr, surrender=datetime.date(2025, 2, 1 + n))
        for day in (3, 10, 20, 30):
            was_refused = next(refused)
            outcome = (O.UNVERIFIABLE if next(unverifiable)
                       else O.ACCESS_DENIED if was_refused else O.COMPLIED)
            check(case, day, {NT: outcome}, author=world.fr_caseworker,
                  access=CheckReport.Access.REFUSED if was_refused
                  else CheckReport.Access.GRANTED)
    return world


def _cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def _chart_text(chart: dict) -> str:
    return base64.b64decode(chart["image"].split(",", 1)[1]).decode()


@pytest.mark.django_db
@pytest.mark.usefixtures("exact_counts")
def test_page_table_api_pdf_and_chart_show_the_same_rate(sixteen_checks):
    w = sixteen_checks
    client = Client()
    assert client.login(username=w.fr_auditor.username, password=PASSWORD)

    # The API: the share as a fraction, the same figure.
    [cell] = api_client(w.fr_auditor).get("/api/v1/compliance/").json()
    assert (cell["checks"], cell["findings"]) == (16, 16)
    assert cell["access_refused_share"] == 0.313
    assert cell["unverifiable_share"] == 0.063

    # The record's page and the dashboard's table.
    page = client.get(reverse("reporting:record")).content.decode()
    assert "31.3%" in _cells(page) and "6.3%" in _cells(page)
    table = client.get(reverse("reporting:record_summary")).content.decode()
    assert "31.3%" in _cells(table) and "6.3%" in _cells(table)
    for shown in (page, table):
        assert "31.2%" not in shown and "31%" not in _cells(shown)
        assert "6.2%" not in shown

    # The PDF report's table, and its chart of refusals by year.
    context = report.report_context(w.fr_auditor, query={}, manifest={
        "export": "e5b1", "tlp": "AMBER", "created_at": "2026-01-05T10:00:00+00:00",
        "requested_by": "fr_auditor", "organisation": "Ngo Fr"})
    out = io.BytesIO()
    report.write_pdf(out, context)
    text = " ".join(" ".join(page.extract_text().split())
                    for page in PdfReader(io.BytesIO(out.getvalue())).pages)
    assert "16 16 31.3% 6.3%" in text, text
    assert "31.2%" not in text and "6.2%" not in text
    # The PDF draws its labels as paths; drawn as text, the same chart reads the same figure,
    # as does the record page's own chart of it.
    by_year = compliance_record(w.fr_auditor, group_by=("year",))
    assert report.refusals_chart(by_year)["image"]
    assert "31.3%" in _chart_text(report.refusals_chart(by_year, text_as_paths=False))
    images = re.findall(r'<img src="data:image/svg\+xml;base64,([^"]+)"', page)
    refusals = base64.b64decode(images[-1]).decode()
    assert "31.3%" in refusals and "31.2%" not in refusals
