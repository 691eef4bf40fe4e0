"""Template helpers of the web application."""

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html

from cases.models.sharing import TLP

register = template.Library()


@register.simple_tag
def tlp(value: str):
    """A record's TLP label, shown the same way on every page."""
    try:
        label = TLP(value).label
    except ValueError:
        return ""
    return format_html('<span class="tlp tlp-{}">{}</span>', value, label)


@register.filter
def grouped(value):
    """A count with the page language's thousands separator: 12,345, 12 345 or 12.345.
    Anything but a whole number (a "<3" cell, a year-free label) is left as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return number_format(value, force_grouping=True)
    return value


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (sorting, pages)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    return query.urlencode()
