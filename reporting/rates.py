"""One rule for every rate the record shows: a percentage rounded half up to one decimal.

The record keeps a share as a fraction with three decimals (its API's number), the page, the
chart and the PDF show it as a percentage with one: both come from `percent`, so 5 of 16 is
0.313 and 31.3% everywhere, never 31.2% in one place and 31% in another (Python's `round` and
Django's `widthratio` round a half to even).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

ONE_DECIMAL = Decimal("0.1")
NOTHING = "—"
MINUS = "\N{MINUS SIGN}"


def percent(numerator, denominator) -> Decimal | None:
    """`numerator` of `denominator` as a percentage, half up to one decimal; None of nothing."""
    if not denominator:
        return None
    exact = Decimal(numerator) * 100 / Decimal(denominator)
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def share(numerator, denominator) -> float | None:
    """The record's share: `percent` as a fraction (0.313 for 31.3%), a number for JSON."""
    value = percent(numerator, denominator)
    return None if value is None else float(value / 100)


def percent_of_share(value) -> Decimal | None:
    """A share of the record (a fraction) as the percentage `percent` gave it."""
    if value is None or value == "":
        return None
    return (Decimal(str(value)) * 100).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def format_percent(value: Decimal | None) -> str:
    """A percentage in the language's own digits: "31.3%", "31,3 %"; a dash for none."""
    if value is None:
        return NOTHING
    return _("%(percent)s%%") % {"percent": number_format(value, 1)}


def share_label(value) -> str:
    """A share of the record as shown in tables and on charts."""
    return format_percent(percent_of_share(value))


def signed(number: int | Decimal, decimals: int = 0) -> str:
    """A change with its sign: "+3", "−2", "±0"."""
    text = number_format(abs(number), decimals, force_grouping=True)
    if number > 0:
        return f"+{text}"
    if number < 0:
        return f"{MINUS}{text}"
    return f"±{text}"


def points(change: Decimal | None) -> str:
    """A change of a percentage, in percentage points: "+1.5 pts", "−2.0 pts"."""
    if change is None:
        return NOTHING
    return _("%(change)s pts") % {"change": signed(change, 1)}
