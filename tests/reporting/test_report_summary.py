"""The compliance report's first page (reporting/exports/summary.py): the period it covers,
its headline figures beside those of the period of equal length before it, and who asked;
and its annex, the manifest in words with the command that checks a copy.

ngo_fr's caseworker counts, toward China, four cases in the first half of 2025 (eight checks,
one refused; eight findings: five complied, one with concerns, one access denied, one
breach) and three in the half-year before (three checks, three findings, all complied).
"""

from __future__ import annotations

import datetime
import io
import re

import pytest
from pypdf import PdfReader

from monitoring.models import CheckReport, Finding
from reporting.exports import report, summary
from reporting.exports import services as exports
from reporting.models import Export
from reporting.record import compliance_record, record_filters

from .kept_support import kept_ids
from .test_compliance_record import check, make_case

O = Finding.Outcome  # noqa: E741
NT = "no_torture"
REFUSED = CheckReport.Access.REFUSED
FIRST_HALF = {"observed_after": datetime.date(2025, 1, 1),
              "observed_before": datetime.date(2025, 6, 30)}


def manifest(**overrides) -> dict:
    return {
        "export": "5d0c1a52-8f3e-4d0e-a1a4-0c2f6b7d9e11", "kind": "compliance", "format": "pdf",
        "filters": {"observed_after": "2025-01-01", "observed_before": "2025-06-30"},
        "requested_by": "fr_caseworker", "organisation": "Ngo Fr",
        "created_at": "2025-07-02T14:05:00+00:00", "tlp": "AMBER",
        "system": "Extradition Monitor", "verify": "python manage.py verify_export FILE",
        **overrides,
    }


def pages_of(context) -> list[str]:
    out = io.BytesIO()
    report.write_pdf(out, context)
    pdf = PdfReader(io.BytesIO(out.getvalue()))
    return [re.sub(r"(?<=\w)- (?=\w)", "-", " ".join(page.extract_text().split()))
            for page in pdf.pages]


@pytest.fixture
def halves(world):
    w = world
    author = w.fr_caseworker
    outcomes = iter([O.COMPLIED, O.COMPLIED, O.COMPLIED, O.COMPLIED, O.COMPLIED,
                     O.COMPLIED_WITH_CONCERNS, O.BREACH])
    for n in range(4):
        case = make_case(w.ngo_fr, surrender=datetime.date(2025, 1, 10 + n))
        check(case, 3, {NT: next(outcomes)}, author=author)
        if n == 0:
            check(case, 60, {NT: O.ACCESS_DENIED}, access=REFUSED, author=author)
        else:
            check(case, 60, {NT: next(outcomes)}, author=author)
    for n in range(3):
        case = make_case(w.ngo_fr, surrender=datetime.date(2024, 8, 1 + n))
        check(case, 5, {NT: O.COMPLIED}, author=author)
    # Before both periods: counts in neither.
    check(make_case(w.ngo_fr, surrender=datetime.date(2023, 1, 1)), 5, {NT: O.BREACH},
          author=author)
    w.fr_caseworker.first_name, w.fr_caseworker.last_name = "Claire", "Dubois"
    w.fr_caseworker.save(update_fields=["first_name", "last_name"])
    return w


def test_the_previous_period_has_the_same_length_and_ends_the_day_before():
    before = summary.previous_query(FIRST_HALF, datetime.date(2025, 7, 2))
    assert before["observed_after"] == datetime.date(2024, 7, 4)
    assert before["observed_before"] == datetime.date(2024, 12, 31)
    # Without an end the period runs to the day of the report.
    open_ended = summary.previous_query({"observed_after": datetime.date(2025, 6, 1)},
                                        datetime.date(2025, 6, 10))
    assert open_ended["observed_after"] == datetime.date(2025, 5, 22)
    assert open_ended["observed_before"] == datetime.date(2025, 5, 31)
    # Without a start there is no length to repeat.
    assert summary.previous_query({}, datetime.date(2025, 6, 10)) is None


@pytest.mark.django_db
@pytest.mark.usefixtures("exact_counts")
def test_the_first_page_gives_period_figures_changes_and_requester(halves):
    context = report.report_context(halves.fr_caseworker, query=FIRST_HALF,
                                    manifest=manifest())
    pages = pages_of(context)
    front = pages[1]
    assert front.startswith("Summary "), front
    for fact in ("Period covered 2025-01-01 to 2025-06-30 (181 days)",
                 "Compared with 2024-07-04 to 2024-12-31 (181 days)",
                 "Requested by Claire Dubois", "Organisation Ngo Fr",
                 "Generated 2025-07-02 14:05 UTC",
                 "Figure This period Previous period Change",
                 "Cases 4 3 +1", "Checks 8 3 +5", "Findings 8 3 +5",
                 "Checks with access refused 12.5% 0.0% +12.5 pts",
                 "Complied 62.5% 100.0% \N{MINUS SIGN}37.5 pts",
                 "Complied with concerns 12.5% 0.0% +12.5 pts",
                 "Access denied 12.5% 0.0% +12.5 pts",
                 "Breach 12.5% 0.0% +12.5 pts",
                 "Partially complied 0.0% 0.0% ±0.0 pts"):
        assert fact in front, (fact, front)
    # The cover and the document's metadata name the person, not the account.
    assert "Claire Dubois" in pages[0] and "fr_caseworker" not in pages[0]
    # The annex at the end: the manifest in words and the command that checks a copy.
    annex = pages[-1]
    for fact in ("Annex: manifest and verification",
                 "This file is export 5d0c1a52-8f3e-4d0e-a1a4-0c2f6b7d9e11 of Extradition "
                 "Monitor: a compliance report in PDF",
                 "It was asked for by Claire Dubois of Ngo Fr and made on 2025-07-02 14:05 UTC.",
                 "Filters: Requesting state: All requesting states; Legal instrument: All "
                 "instruments; Assurance type: All assurance types; Period: Observed from "
                 "2025-01-01 to 2025-06-30.",
                 "python manage.py verify_export FILE", "exits with 0"):
        assert fact in annex, (fact, annex)


@pytest.mark.django_db
def test_the_figures_are_the_records_published_ones_in_both_periods(halves):
    """With the perturbation on: each figure is the record's own published count, so that the
    first page tells nothing the record would not."""
    user = halves.fr_caseworker
    # Five cases or more in each period: shown whatever their perturbation.
    for surrender in (datetime.date(2025, 3, 1), datetime.date(2025, 3, 2),
                      datetime.date(2024, 9, 1), datetime.date(2024, 9, 2)):
        check(make_case(halves.ngo_fr, surrender=surrender), 5, {NT: O.PARTIAL}, author=user)
    context = report.report_context(user, query=FIRST_HALF, manifest=manifest())
    rows = {row["label"]: row for row in context["front"]["rows"]}
    earlier = summary.previous_query(FIRST_HALF, datetime.date(2025, 7, 2))
    # Every counted case is China's: the whole record's cell and China's count the same
    # records, so they publish the same figures.
    [now] = compliance_record(user, filters=record_filters(FIRST_HALF))
    [before] = compliance_record(user, filters=record_filters(earlier))
    for label, key in (("Cases", "cases"), ("Checks", "checks"), ("Findings", "findings")):
        assert rows[label]["now"] == str(now[key])
        assert rows[label]["before"] == str(before[key])
        assert rows[label]["change"] == summary.rates.signed(now[key] - before[key])
    refused = rows["Checks with access refused"]
    assert refused["now"] == summary.rates.share_label(now["access_refused_share"])
    assert refused["before"] == summary.rates.share_label(before["access_refused_share"])


@pytest.mark.django_db
@pytest.mark.usefixtures("exact_counts")
def test_a_small_previous_period_shows_fewer_than_three_and_no_change(halves):
    # The first checks fall on 13 to 16 January 2025: three of them in this window, one in
    # the eighteen days before it.
    query = {"observed_after": datetime.date(2025, 1, 14),
             "observed_before": datetime.date(2025, 1, 31)}
    context = report.report_context(halves.fr_caseworker, query=query, manifest=manifest())
    rows = {row["label"]: row for row in context["front"]["rows"]}
    assert context["front"]["previous_period"] == "2024-12-27 to 2025-01-13 (18 days)"
    assert (rows["Cases"]["now"], rows["Cases"]["before"]) == ("3", "<3")
    assert all(row["change"] == "—" for row in rows.values())
    assert all(row["before"] == "—" for label, row in rows.items() if label != "Cases")
    html = report.render_html(context)
    assert "<td>&lt;3</td>" in html


@pytest.mark.django_db
@pytest.mark.usefixtures("exact_counts")
def test_without_a_start_date_nothing_is_compared(halves):
    context = report.report_context(halves.fr_caseworker, query={}, manifest=manifest())
    front = context["front"]
    assert not front["compared"]
    assert front["period"] == "Every finding observed up to 2025-07-02"
    assert all("before" not in row for row in front["rows"])
    html = report.render_html(context)
    assert "No comparison: without a first day" in html
    assert "Previous period" not in html


@pytest.mark.django_db
def test_an_exported_report_keeps_the_previous_periods_findings_for_its_downloads(halves):
    export = exports.export_request(
        actor=halves.fr_caseworker, kind=Export.Kind.COMPLIANCE, format=Export.Format.PDF,
        filters={"observed_after": "2025-01-01", "observed_before": "2025-06-30"})
    assert export.status == Export.Status.READY, export.error
    kept = set(kept_ids(export))
    earlier = Finding.objects.filter(observed_at__date__range=(datetime.date(2024, 7, 4),
                                                               datetime.date(2024, 12, 31)))
    now = Finding.objects.filter(observed_at__date__range=(datetime.date(2025, 1, 1),
                                                           datetime.date(2025, 6, 30)))
    assert earlier.count() == 3 and now.count() == 8
    assert kept == set(earlier.values_list("pk", flat=True)) | set(
        now.values_list("pk", flat=True))
