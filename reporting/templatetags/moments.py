"""`{{ export.created_at|moment }}`: a date and time as the language writes a short date, with
a 24-hour time: "02/07/2025 09:05", "02.07.2025 09:05". English's own short format ends in
"a.m.", which a sentence's full stop doubles ("Kept until … 9:05 a.m..")."""

from django import template
from django.template.defaultfilters import date

register = template.Library()


@register.filter(expects_localtime=True)
def moment(value) -> str:
    if value in (None, ""):
        return ""
    return f"{date(value, 'SHORT_DATE_FORMAT')} {date(value, 'H:i')}"
