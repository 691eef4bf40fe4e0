"""The PDF compliance report (reporting/exports/report.py) over the dataset of the compliance
record tests: ngo_fr's caseworker counts five cases toward China (A, B, C, E, K) and two
toward Russia (H, I), so China is reported in full and Russia only as "<3".
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from pypdf import PdfReader

from cases.models import Country
from reporting.exports import report

from ..factories import country
from . import test_compliance_record as seeded

# The dataset of the compliance record tests, as a fixture of this module too.
record = seeded.record

EXPORT_ID = "0b7e6c1e-5d1f-4c55-9a3e-2f4f1d3c9a10"
MISSING_DATA = ("Missing data never counts as compliance: an assurance with no finding is "
                "unverified, and unverifiable findings are counted as such, never as complied.")


def manifest(**overrides) -> dict:
    return {
        "export": EXPORT_ID, "kind": "compliance_report", "format": "pdf", "filters": {},
        "requested_by": "fr_caseworker", "organisation": "Ngo Fr",
        "created_at": "2026-03-10T09:00:00+00:00", "tlp": "AMBER",
        "system": "Extradition Monitor", **overrides,
    }


def words(text: str) -> str:
    """The text on one line, with words broken at a hyphen joined again."""
    return re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(text.split()))


def pdf_of(context) -> tuple[bytes, PdfReader]:
    out = io.BytesIO()
    report.write_pdf(out, context)
    data = out.getvalue()
    return data, PdfReader(io.BytesIO(data))


@pytest.mark.django_db
@pytest.mark.usefixtures("exact_counts")
def test_the_pdf_reports_the_record_with_its_label_on_every_page(record):
    w = record.world
    china, russia = country("CN").name, country("RU").name
    context = report.report_context(w.fr_caseworker, query={}, manifest=manifest())
    # Summary 2 states, by type 2, by year 3 (2024 and 2026 small), by state and type 3.
    assert context["cells"] == 10
    assert all(chart["image"] for chart in context["charts"])

    data, pdf = pdf_of(context)
    assert data.startswith(b"%PDF")
    pages = [words(page.extract_text()) for page in pdf.pages]
    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert "TLP:AMBER" in text, number
        assert f"Page {number} of {len(pages)}" in text
        assert f"Export {EXPORT_ID}" in text
    everything = " ".join(pages)

    cover = pages[0]
    for fact in ("Compliance report", "All requesting states", "All instruments",
                 "All assurance types", "All periods", "fr_caseworker", "Ngo Fr",
                 "2026-03-10 09:00 UTC", EXPORT_ID):
        assert fact in cover, fact

    # China in full: cases, checks, findings, refused, unverifiable, median, p90,
    # cases without access, lapses (as in CN_FOR_FR of the compliance record tests).
    assert f"{china} 5 8 11 25.0% 9.1% 7 32 0 1" in everything
    # Russia: "<3" and nothing else, in the summary and in its own section.
    assert re.search(rf"{re.escape(russia)} <3 Shares:", everything), everything
    assert re.search(rf"{re.escape(russia)} \(RU\) Assurance type .*? No torture or "
                     rf"ill-treatment <3 Methods", everything), everything
    # China's section, by assurance type: monitoring access is a small cell.
    assert "Monitoring access <3 No torture or ill-treatment 5 7 3 1 1 0 1 0 0 0 1" in everything

    assert MISSING_DATA in everything
    assert "python manage.py verify_export FILE" in pages[-1]
    assert "compliance_report" in pages[-1]

    meta = pdf.metadata
    assert meta.title == "Compliance report · TLP:AMBER"
    assert meta.author == "fr_caseworker"
    assert EXPORT_ID in meta.get("/Keywords", "")
    assert EXPORT_ID in meta.subject


@pytest.mark.django_db
def test_the_filters_are_put_in_words_and_narrow_the_record(record):
    w = record.world
    query = {"requesting_state": country("CN"), "legal_instrument": record.fr_cn.pk,
             "assurance_type": "no_torture", "observed_after": datetime.date(2025, 1, 1),
             "observed_before": datetime.date(2025, 12, 31)}
    context = report.report_context(w.fr_caseworker, query=query,
                                    manifest=manifest(tlp="amber_strict"))
    html = report.render_html(context)
    assert "TLP:AMBER+STRICT" in html
    assert "Extradition treaty between France and China" in html
    assert "No torture or ill-treatment" in html
    assert "Observed from 2025-01-01 to 2025-12-31" in html
    # A and B only (K was observed in 2024): a small cell, so no chart has a bar.
    assert [row["suppressed"] for row in context["summary"]] == [True]
    assert [chart["image"] for chart in context["charts"]] == [None, None, None]
    assert "nothing to plot" in html


@pytest.mark.django_db
def test_a_small_state_alone_shows_nothing_but_its_small_cell(record):
    w = record.world
    context = report.report_context(w.fr_caseworker, query={"requesting_state": country("RU")},
                                    manifest=manifest())
    html = report.render_html(context)
    row = re.search(r"<table class=\"summary\">.*?<tbody>(.*?)</tbody>", html, re.S)[1]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    assert cells == [country("RU").name, "&lt;3"]
    assert "<img" not in html


@pytest.mark.django_db
def test_an_empty_record_still_makes_a_report(world):
    context = report.report_context(world.it_auditor, query={"observed_after":
                                                             datetime.date(2030, 1, 1)},
                                    manifest=manifest(tlp="GREEN"))
    assert context["cells"] == 0
    html = report.render_html(context)
    assert "No finding counts toward the record for these filters." in html
    assert "Observed from 2030-01-01 onwards" in html
    assert "#33FF00" in html


@pytest.mark.django_db
def test_render_html_escapes_hostile_values(world):
    hostile = "<script>alert(1)</script>"
    state = Country.objects.create(code="XH", name=hostile)
    context = report.report_context(
        world.fr_caseworker, query={"requesting_state": state},
        manifest=manifest(export='x"; } body { display: none } ' + hostile,
                          filters={"requesting_state": hostile}, organisation=hostile,
                          requested_by=f'"><img src=x onerror=alert(1)>{hostile}'),
    )
    html = report.render_html(context)
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # In the style sheet the export id is a CSS string with every odd character escaped.
    style = re.search(r"<style>(.*?)</style>", html, re.S)[1]
    assert "display: none }" not in style
    assert '\\22 ' in style and '\\3c script\\3e ' in style


def test_a_small_cell_adds_nothing_to_a_chart_and_charts_are_deterministic():
    full = {"year": 2025, "suppressed": False, "access_refused_share": 0.25}
    small = {"year": 2024, "cases": "<3", "suppressed": True}
    chart = report.refusals_chart([small, full])
    assert chart["image"].startswith("data:image/svg+xml;base64,")
    assert chart == report.refusals_chart([full])
    assert report.refusals_chart([small])["image"] is None


def test_rendering_fetches_nothing_but_data_uris():
    fetcher = report.inline_only_fetcher()
    for url in ("http://example.org/x.png", "https://example.org/font.woff",
                "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,b2s=").read() == b"ok"


@pytest.mark.parametrize("label, expected", [("AMBER", "AMBER"), ("amber_strict", "AMBER+STRICT"),
                                             ("TLP:RED", "RED"), ("clear", "CLEAR")])
def test_tlp_labels_are_normalised(label, expected):
    assert report.tlp_label(label) == expected


@pytest.mark.parametrize("label", [None, "", "WHITE", 'AMBER"; color: red'])
def test_a_report_without_a_known_label_is_refused(label):
    with pytest.raises(ValueError, match="Unknown TLP label"):
        report.tlp_label(label)
