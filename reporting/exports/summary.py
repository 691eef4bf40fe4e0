"""The compliance report's first page: the period it covers, its headline figures, how they
changed since the period of equal length before it, and who asked for it; and its last, the
manifest in words with the command that checks a copy.

Both periods' figures are cells of the record (`compliance_records` under the empty grouping),
published like every other cell: perturbed counts, shares of published counts, "<3" and
nothing else under three cases. A change is the difference of two published figures, never of
exact ones, and there is none where either period is a small cell.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from monitoring.models import Finding

from .. import rates
from ..record import SMALL_CELL, record_filters

DAY = datetime.timedelta(days=1)
Outcome = Finding.Outcome
COUNTS = ("cases", "checks", "findings")


# --- periods -------------------------------------------------------------------------------


def covered(query: dict, as_of: datetime.date) -> tuple[datetime.date | None, datetime.date]:
    """The first and last day the report covers: its filters' dates, up to `as_of` (the day
    the report was asked for) when no end is given; no first day when no start is given."""
    return query.get("observed_after"), query.get("observed_before") or as_of


def previous_query(query: dict, as_of: datetime.date) -> dict | None:
    """The same query over the period of equal length that ends the day before this one
    starts; None when the report has no first day, so no length to repeat."""
    start, end = covered(query, as_of)
    if start is None or end < start:
        return None
    length = end - start + DAY
    return {**query, "observed_after": start - length, "observed_before": start - DAY}


def period_in_words(start: datetime.date | None, end: datetime.date) -> str:
    if start is None:
        return _("Every finding observed up to %(end)s") % {"end": end.isoformat()}
    return _("%(start)s to %(end)s (%(days)s days)") % {
        "start": start.isoformat(), "end": end.isoformat(),
        "days": number_format((end - start).days + 1, force_grouping=True)}


# --- figures -------------------------------------------------------------------------------


def _figures(cells: list[dict]) -> dict | None:
    """The headline figures of a period from its one cell: zero counts when nothing was
    counted, None when it is a small cell (nothing but "<3" may be shown of it)."""
    if not cells:
        return {**dict.fromkeys(COUNTS, 0), "refused": None,
                **dict.fromkeys(Outcome.values)}
    [cell] = cells
    if cell["suppressed"]:
        return None
    findings = cell["findings"]
    return {
        **{name: cell[name] for name in COUNTS},
        "refused": rates.percent_of_share(cell["access_refused_share"]),
        **{o: rates.percent(min(cell["outcomes"].get(o, 0), findings), findings)
           for o in Outcome.values},
    }


def _lines() -> list[tuple[str, str, bool]]:
    """(key, label, is a percentage) of each headline figure, in the page's order."""
    return [
        ("cases", _("Cases"), False),
        ("checks", _("Checks"), False),
        ("findings", _("Findings"), False),
        ("refused", _("Checks with access refused"), True),
        *((o.value, str(o.label), True) for o in Outcome),
    ]


def _shown(figures: dict | None, key: str, is_percent: bool) -> str:
    if figures is None:
        return f"<{SMALL_CELL}" if key == "cases" else rates.NOTHING
    value = figures[key]
    if is_percent:
        return rates.format_percent(value)
    return number_format(value, force_grouping=True)


def _change(now: dict | None, before: dict | None, key: str, is_percent: bool) -> str:
    if now is None or before is None or now[key] is None or before[key] is None:
        return rates.NOTHING
    difference = now[key] - before[key]
    return rates.points(Decimal(difference)) if is_percent else rates.signed(difference)


def headline(current: list[dict], previous: list[dict] | None) -> list[dict]:
    """The headline rows: this period's figure, the previous period's and the change, each as
    shown; `previous` is None when there is no previous period."""
    now = _figures(current)
    before = _figures(previous) if previous is not None else None
    rows = []
    for key, label, is_percent in _lines():
        row = {"label": label, "now": _shown(now, key, is_percent),
               "share_of_findings": key in Outcome.values}
        if key == Outcome.values[0]:
            row["heading"] = _("Findings by outcome, as a share of findings")
        if previous is not None:
            row["before"] = _shown(before, key, is_percent)
            row["change"] = _change(now, before, key, is_percent)
        rows.append(row)
    return rows


# --- the page ------------------------------------------------------------------------------


def summary_page(*, query: dict, as_of: datetime.date, current: list[dict],
                 previous: list[dict] | None, requester: str, organisation: str,
                 generated_at: str) -> dict:
    """What the first page shows; `current` and `previous` are the two periods' cells of the
    record under the empty grouping (`previous` None when there is no previous period)."""
    start, end = covered(query, as_of)
    earlier = previous_query(query, as_of)
    return {
        "period": period_in_words(start, end),
        "previous_period": (period_in_words(earlier["observed_after"],
                                            earlier["observed_before"])
                            if earlier is not None and previous is not None else ""),
        "compared": previous is not None,
        "rows": headline(current, previous),
        "requester": requester,
        "organisation": organisation,
        "generated_at": generated_at,
    }


def requester_name(user, manifest: dict) -> str:
    """The requester's full name; the name it signs in with when it gave none."""
    full = user.get_full_name().strip() if user is not None else ""
    return full or str(manifest.get("requested_by") or getattr(user, "username", ""))


def manifest_in_words(*, manifest: dict, requester: str, filters: list[tuple[str, str]],
                      generated_at: str, tlp: str) -> list[str]:
    """The manifest as sentences a reader without the system can follow."""
    system = str(manifest.get("system") or _("Extradition Monitor"))
    return [
        _("This file is export %(export)s of %(system)s: a compliance report in PDF, the "
          "cross-state compliance record as the requester may count it, labelled "
          "TLP:%(tlp)s.") % {"export": manifest.get("export", ""), "system": system,
                             "tlp": tlp},
        _("It was asked for by %(name)s of %(organisation)s and made on %(when)s.") % {
            "name": requester, "organisation": manifest.get("organisation", ""),
            "when": generated_at},
        _("Filters: %(filters)s.") % {
            "filters": "; ".join(f"{label}: {value}" for label, value in filters)},
    ]


def report_findings(query: dict, as_of: datetime.date) -> Q:
    """Lookups of the findings a report's figures rest on: its period's and, for the first
    page's comparison, the previous period's."""
    counted = Q(**record_filters(query))
    earlier = previous_query(query, as_of)
    if earlier is not None:
        counted |= Q(**record_filters(earlier))
    return counted
