"""The compliance report: the cross-state compliance record as an HTML document and a PDF.

It reads only `monitoring.record.compliance_records`, so it counts exactly what the record
counts for the requester (what it may see plus what owners shared as aggregates only) and a
cell of fewer than three cases shows "<3" and nothing else, in tables and charts alike.
Charts are drawn on the server with matplotlib's object-oriented API (no pyplot, so no global
figure state) and embedded as data-URI SVG; WeasyPrint is given a URL fetcher that refuses
anything but data URIs, so rendering never touches the network or the file system.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cases.models import Assurance, Country, LegalInstrument
from monitoring.models import Finding

from .. import rates
from ..record import SMALL_CELL, compliance_records, record_filters
from . import summary

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from weasyprint.urls import URLFetcher

TEMPLATE = "reporting/compliance_report.html"
# TLP 2.0: the label's colour on a black background.
TLP_COLOURS = {
    "RED": "#FF2B2B",
    "AMBER+STRICT": "#FFC000",
    "AMBER": "#FFC000",
    "GREEN": "#33FF00",
    "CLEAR": "#FFFFFF",
}
# From best to worst, so a stacked bar reads left to right from compliance to breach.
OUTCOME_COLOURS = {
    Finding.Outcome.COMPLIED: "#1a9850",
    Finding.Outcome.COMPLIED_WITH_CONCERNS: "#91cf60",
    Finding.Outcome.PARTIAL: "#d9ef8b",
    Finding.Outcome.ACCESS_DELAYED: "#fee08b",
    Finding.Outcome.UNVERIFIABLE: "#bdbdbd",
    Finding.Outcome.MONITORING_LAPSED: "#737373",
    Finding.Outcome.ALLEGATION_PENDING: "#fdae61",
    Finding.Outcome.ACCESS_DENIED: "#f46d43",
    Finding.Outcome.BREACH: "#a50026",
}
DARK_OUTCOMES = {Finding.Outcome.COMPLIED, Finding.Outcome.MONITORING_LAPSED,
                 Finding.Outcome.BREACH}
# Fixed salt and no date, so that the same record draws the same SVG; DejaVu Sans is bundled
# with matplotlib and installed system-wide, so no font is looked up elsewhere.
CHART_RC = {
    "svg.hashsalt": "extradition-monitor-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
CHART_WIDTH = 6.6  # inches: the text width of an A4 page with our margins
CSS_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:+/")
NOTHING = "—"


# --- the context ---------------------------------------------------------------------------


def report_context(user, *, query: dict, manifest: dict, filters: dict | None = None,
                   previous_filters: dict | None = None) -> dict:
    """Everything the report shows, for `user`, with the record filtered by `query` (the
    validated data of `RecordQuery`; `group_by` is ignored) and described by
    `manifest`; `filters` and `previous_filters` (findings' lookups, of the report's period
    and of the one before it) replace the queries' own where given. Its key "cells" is the
    number of record cells the report is built from (the summary, the chart groupings and the
    per-state tables together)."""
    tlp = tlp_label(manifest.get("tlp"))
    filters = record_filters(query) if filters is None else filters
    as_of = _as_of(manifest)
    earlier = summary.previous_query(query, as_of)
    if earlier is not None and previous_filters is None:
        previous_filters = record_filters(earlier)
    by_state, by_type, by_year, by_state_type, total = compliance_records(
        user,
        [("requesting_state",), ("assurance_type",), ("year",),
         ("requesting_state", "assurance_type"), ()],
        filters=filters,
    )
    previous_total = (compliance_records(user, [()], filters=previous_filters)[0]
                      if earlier is not None else None)
    codes = {c["requesting_state"] for c in by_state} | {c["requesting_state"] for c in
                                                         by_state_type}
    state_name = state_namer(
        {c.code: c.name for c in Country.objects.filter(code__in=codes - {None})})
    states = named_by_state(by_state, state_name)
    by_state = [cell for _name, cell in states]
    export_id = str(manifest.get("export", ""))
    system = str(manifest.get("system") or _("Extradition Monitor"))
    title = _("Compliance report")
    generated_at = _when(manifest.get("created_at"))
    requester = summary.requester_name(user, manifest)
    organisation = str(manifest.get("organisation", ""))
    filters_in_words = _filters_in_words(query)
    return {
        "language": get_language() or "en",
        "title": title,
        "system": system,
        "tlp": tlp,
        "tlp_colour": TLP_COLOURS[tlp],
        "css": {
            "tlp": mark_safe(_css_string(f"TLP:{tlp}")),  # noqa: S308 (escaped by _css_string)
            "header": mark_safe(_css_string(f"{system} · {title}")),  # noqa: S308
            "export": mark_safe(  # noqa: S308
                _css_string(_("Export %(id)s") % {"id": export_id})
            ),
            "pages": mark_safe(_css_page_counter()),  # noqa: S308
        },
        "export_id": export_id,
        "author": requester,
        "organisation": organisation,
        "generated_at": generated_at,
        "created_w3c": _w3c(manifest.get("created_at")),
        "filters": filters_in_words,
        "front": summary.summary_page(
            query=query, as_of=as_of, current=total, previous=previous_total,
            requester=requester, organisation=organisation, generated_at=generated_at),
        "about": summary.manifest_in_words(
            manifest=manifest, requester=requester, filters=filters_in_words,
            generated_at=generated_at, tlp=tlp),
        "small_cell": f"<{SMALL_CELL}",
        "summary_columns": [
            _("Cases"), _("Checks"), _("Findings"), _("Access refused"), _("Unverifiable"),
            _("Median days to first access"), _("90th percentile days to first access"),
            _("Cases without access"), _("Lapses"),
        ],
        "summary": [_summary_row(name, cell) for name, cell in states],
        "charts": charts(by_type, states, by_year),
        "outcome_columns": [str(o.label) for o in Finding.Outcome],
        "states": _state_sections(by_state, by_state_type, state_name),
        "manifest": _manifest_facts(manifest),
        "cells": len(by_state) + len(by_type) + len(by_year) + len(by_state_type),
    }


def tlp_label(value) -> str:
    """"AMBER", "amber", "TLP:AMBER", "amber_strict", "AMBER+STRICT"... as "AMBER+STRICT".
    Anything else is refused: a report never leaves without a label it can show."""
    label = str(value or "").strip().upper().removeprefix("TLP:").replace("_", "+")
    if label not in TLP_COLOURS:
        raise ValueError(f"Unknown TLP label: {value!r}")
    return label


def _filters_in_words(query: dict) -> list[tuple[str, str]]:
    state = query.get("requesting_state")
    instrument_id = query.get("legal_instrument")
    if instrument_id:
        instrument = LegalInstrument.objects.filter(pk=instrument_id).first()
        instrument_text = (str(instrument) if instrument
                           else _("Instrument no. %(id)s (not on record)") % {"id": instrument_id})
    else:
        instrument_text = _("All instruments")
    kind = query.get("assurance_type")
    after, before = query.get("observed_after"), query.get("observed_before")
    if after and before:
        period = _("Observed from %(after)s to %(before)s") % {"after": after.isoformat(),
                                                                "before": before.isoformat()}
    elif after:
        period = _("Observed from %(after)s onwards") % {"after": after.isoformat()}
    elif before:
        period = _("Observed until %(before)s") % {"before": before.isoformat()}
    else:
        period = _("All periods")
    return [
        (_("Requesting state"), state.name if state else _("All requesting states")),
        (_("Legal instrument"), instrument_text),
        (_("Assurance type"), _assurance_label(kind) if kind else _("All assurance types")),
        (_("Period"), period),
    ]


def _summary_row(label: str, cell: dict) -> dict:
    if cell["suppressed"]:
        return {"label": label, "suppressed": True, "cases": cell["cases"]}
    return {
        "label": label,
        "suppressed": False,
        "values": [
            cell["cases"], cell["checks"], cell["findings"],
            _share(cell["access_refused_share"]), _share(cell["unverifiable_share"]),
            _days(cell["days_to_first_access_median"]), _days(cell["days_to_first_access_p90"]),
            cell["cases_without_access"], cell["lapses"],
        ],
    }


def _state_sections(by_state, by_state_type, state_name) -> list[dict]:
    sections = []
    for state in by_state:
        code = state["requesting_state"]
        rows = []
        cells = [c for c in by_state_type if c["requesting_state"] == code]
        for cell in sorted(cells, key=lambda c: _assurance_label(c["assurance_type"])):
            label = _assurance_label(cell["assurance_type"])
            if cell["suppressed"]:
                rows.append({"label": label, "suppressed": True, "cases": cell["cases"]})
            else:
                rows.append({
                    "label": label, "suppressed": False,
                    "values": [cell["cases"], cell["findings"],
                               *(cell["outcomes"].get(o, 0) for o in Finding.Outcome.values)],
                })
        sections.append({"code": code or "", "name": state_name(code),
                         "suppressed": state["suppressed"], "rows": rows})
    return sections


def _manifest_facts(manifest: dict) -> list[tuple[str, str]]:
    labels = {
        "export": _("Export"), "kind": _("Kind"), "format": _("Format"),
        "filters": _("Filters"), "requested_by": _("Requested by"),
        "organisation": _("Organisation"), "created_at": _("Created at"), "tlp": _("TLP"),
        "system": _("System"), "include_identifiers": _("Identifiers included"),
        "rows": _("Cells"), "disclosure_control": _("Disclosure control"),
        "verify": _("Check a copy"),
    }
    keys = [k for k in labels if k in manifest] + sorted(k for k in manifest if k not in labels)
    return [(labels.get(key, key), _fact(manifest[key])) for key in keys]


def _fact(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


# --- formatting ----------------------------------------------------------------------------


def _assurance_label(value) -> str:
    try:
        return str(Assurance.Type(value).label)
    except ValueError:
        return str(value)


def _share(value) -> str:
    return rates.share_label(value)


def _days(value) -> str:
    if value is None:
        return NOTHING
    return number_format(value, 0 if float(value).is_integer() else 1)


def _parse_moment(value) -> datetime.datetime | None:
    try:
        moment = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def _when(value) -> str:
    moment = _parse_moment(value)
    if moment is None:
        return str(value or "")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _as_of(manifest: dict) -> datetime.date:
    """The day the report was asked for: the end of its period when its filters give none."""
    moment = _parse_moment(manifest.get("created_at"))
    return (moment or datetime.datetime.now(datetime.UTC)).date()


def _w3c(value) -> str:
    moment = _parse_moment(value)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _css_escape(text: str) -> str:
    """The inside of a CSS string: anything but plain characters as a hex escape, so that no
    quote, backslash or angle bracket survives into the style sheet."""
    return "".join(ch if ch in CSS_SAFE else f"\\{ord(ch):x} " for ch in text)


def _css_string(text: str) -> str:
    return f'"{_css_escape(text)}"'


def _css_page_counter() -> str:
    """"Page %(page)s of %(pages)s", translated, as a CSS `content` with the page counters."""
    text = _("Page %(page)s of %(pages)s")
    marker = "\x00"
    parts = (text % {"page": f"{marker}page{marker}", "pages": f"{marker}pages{marker}"}
             ).split(marker)
    tokens = []
    for index, part in enumerate(parts):
        if index % 2:
            tokens.append(f"counter({part})")
        elif part:
            tokens.append(_css_string(part))
    return " ".join(tokens)


def state_namer(names: dict):
    """A requesting state's name from `names` (code: name); its code where none is known."""
    def state_name(code) -> str:
        return names.get(code, code) if code else _("Unknown state")
    return state_name


def named_by_state(by_state: list[dict], state_name) -> list[tuple[str, dict]]:
    """The record's cells by requesting state with their states' names, in name order."""
    return sorted(((state_name(c["requesting_state"]), c) for c in by_state),
                  key=lambda pair: (pair[0], pair[1]["requesting_state"] or ""))


# --- charts --------------------------------------------------------------------------------


def charts(by_type: list[dict], states: list[tuple[str, dict]], by_year: list[dict], *,
           text_as_paths: bool = True) -> list[dict]:
    """The record's three charts: outcomes per assurance type, days to first access per
    requesting state (named), refusals per year. Text drawn as paths (the PDF's way) needs no
    font where the image is shown; as text (a web page's way), the image is half the size."""
    return [
        outcomes_chart(by_type, text_as_paths=text_as_paths),
        access_days_chart(states, text_as_paths=text_as_paths),
        refusals_chart(by_year, text_as_paths=text_as_paths),
    ]


def _chart(title: str, alt: str, empty: str, figure: Figure | None, text_as_paths) -> dict:
    return {"title": title, "alt": alt, "empty": empty,
            "image": _svg_data_uri(figure, text_as_paths) if figure is not None else None}


def _svg_data_uri(figure: Figure, text_as_paths: bool) -> str:
    buffer = io.BytesIO()
    fonttype = "path" if text_as_paths else "none"
    with _matplotlib().rc_context({**CHART_RC, "svg.fonttype": fonttype}):
        figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _new_figure(rows: int) -> Figure:
    with _matplotlib().rc_context(CHART_RC):
        return _figure()(figsize=(CHART_WIDTH, 1.1 + 0.38 * max(rows, 1)), layout="constrained")


def outcomes_chart(by_type: list[dict], *, text_as_paths: bool = True) -> dict:
    title = _("Outcomes per assurance type")
    cells = sorted((c for c in by_type if not c["suppressed"]),
                   key=lambda c: _assurance_label(c["assurance_type"]), reverse=True)
    figure = None
    if cells:
        with _matplotlib().rc_context(CHART_RC):
            figure = _new_figure(len(cells) + 1)
            axes = figure.add_subplot()
            labels = [_assurance_label(c["assurance_type"]) for c in cells]
            left = [0] * len(cells)
            for outcome in Finding.Outcome:
                counts = [c["outcomes"].get(outcome.value, 0) for c in cells]
                if not any(counts):
                    continue
                bars = axes.barh(labels, counts, left=left, label=str(outcome.label),
                                 color=OUTCOME_COLOURS[outcome], edgecolor="white",
                                 linewidth=0.5)
                axes.bar_label(bars, labels=[str(n) if n else "" for n in counts],
                               label_type="center", fontsize=7,
                               color="white" if outcome in DARK_OUTCOMES else "black")
                left = [a + b for a, b in zip(left, counts, strict=True)]
            axes.set_xlabel(_("Findings"))
            axes.xaxis.get_major_locator().set_params(integer=True)
            figure.legend(loc="outside lower center", ncols=3, frameon=False, fontsize=7)
    return _chart(
        title,
        _("Stacked bars of finding outcomes for each assurance type with three or more cases."),
        _("No assurance type has three or more cases: nothing to plot."),
        figure,
        text_as_paths,
    )


def access_days_chart(states: list[tuple[str, dict]], *, text_as_paths: bool = True) -> dict:
    title = _("Days from surrender to first check with access")
    rows = [(name, c) for name, c in states
            if not c["suppressed"] and c["days_to_first_access_median"] is not None]
    rows.reverse()  # barh draws from the bottom; keep the table's order top down
    figure = None
    if rows:
        with _matplotlib().rc_context(CHART_RC):
            figure = _new_figure(len(rows))
            axes = figure.add_subplot()
            positions = range(len(rows))
            height = 0.38
            median = [c["days_to_first_access_median"] for _name, c in rows]
            p90 = [c["days_to_first_access_p90"] for _name, c in rows]
            bars = axes.barh([p + height / 2 for p in positions], median, height=height,
                             label=_("Median"), color="#4575b4")
            axes.bar_label(bars, labels=[_days(v) for v in median], padding=2, fontsize=7)
            bars = axes.barh([p - height / 2 for p in positions], p90, height=height,
                             label=_("90th percentile"), color="#91bfdb")
            axes.bar_label(bars, labels=[_days(v) for v in p90], padding=2, fontsize=7)
            axes.set_yticks(list(positions), [name for name, _c in rows])
            axes.set_xlabel(_("Days after surrender (day 0)"))
            axes.margins(x=0.12)
            figure.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=7)
    return _chart(
        title,
        _("Median and 90th percentile of the days from surrender to the first check with "
          "access, per requesting state with three or more cases."),
        _("No requesting state has three or more cases with a check with access: "
          "nothing to plot."),
        figure,
        text_as_paths,
    )


def refusals_chart(by_year: list[dict], *, text_as_paths: bool = True) -> dict:
    title = _("Access refusals over time")
    cells = sorted((c for c in by_year
                    if not c["suppressed"] and c["access_refused_share"] is not None
                    and c["year"] is not None), key=lambda c: c["year"])
    figure = None
    if cells:
        with _matplotlib().rc_context(CHART_RC):
            figure = _figure()(figsize=(CHART_WIDTH, 2.4), layout="constrained")
            axes = figure.add_subplot()
            years = [str(c["year"]) for c in cells]
            shares = [float(rates.percent_of_share(c["access_refused_share"])) for c in cells]
            bars = axes.bar(years, shares, color="#f46d43", width=0.5)
            axes.bar_label(bars, labels=[_share(c["access_refused_share"]) for c in cells],
                           padding=2, fontsize=7)
            axes.set_ylim(0, 100)
            # A lone year should not be a bar as wide as the page.
            pad = max(0.0, (4 - len(years)) / 2)
            axes.set_xlim(-0.5 - pad, len(years) - 0.5 + pad)
            axes.set_ylabel(_("Checks with access refused (%)"))
            axes.set_xlabel(_("Year observed"))
    return _chart(
        title,
        _("Share of checks with access refused, per year with three or more cases."),
        _("No year has three or more cases: nothing to plot."),
        figure,
        text_as_paths,
    )


# --- output --------------------------------------------------------------------------------


def render_html(context: dict) -> str:
    """The report as an HTML document (also to be shown in the web UI)."""
    return render_to_string(TEMPLATE, context)


def _matplotlib():
    """matplotlib, imported when a chart is first drawn: it and WeasyPrint weigh some 80 MB,
    which a worker that never draws a report (an import, a sweep) need not carry."""
    import matplotlib

    return matplotlib


def _figure():
    from matplotlib.figure import Figure

    return Figure


def inline_only_fetcher() -> URLFetcher:
    """A WeasyPrint URL fetcher that serves data URIs and refuses every other URL."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False)


def write_pdf(out, context: dict) -> None:
    """Write the PDF (WeasyPrint) of render_html(context) to the binary file object `out`."""
    from weasyprint import HTML

    html = HTML(string=render_html(context), base_url=None, url_fetcher=inline_only_fetcher())
    html.write_pdf(out)
