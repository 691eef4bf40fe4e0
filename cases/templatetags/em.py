"""Template helpers of the web application."""

from django import template
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


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with some parameters changed (sorting, pages)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    return query.urlencode()
