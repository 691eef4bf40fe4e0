"""`{{ cell.access_refused_share|percent }}`: a share of the compliance record as every page,
chart and report shows it (see `reporting.rates`)."""

from django import template

from .. import rates

register = template.Library()


@register.filter
def percent(value) -> str:
    """A share (a fraction) as a percentage half up to one decimal: "31.3%"; "—" for none."""
    return rates.share_label(value)
