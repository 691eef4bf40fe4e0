"""A row's cells read as the values of its fields: text within the model's length, dates in
the file's declared format (never guessed), yes and no, codes or labels of choices, states by
code or name, members and sharing groups of the importing organisation.

Errors are per field, in words; they never quote a cell, since cells may name people.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import pycountry
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cases.models import Country, LegalInstrument, Membership, Organisation, SharingGroup

from .fields import (
    BOOL,
    CHOICE,
    COUNTRIES,
    COUNTRY,
    DATE,
    GROUP,
    INSTRUMENT,
    INTEGER,
    LIST,
    MEMBER,
    MOMENT,
    TEXT,
    Field,
    normalise,
)
from .models import DateFormat
from .reading import Formula

_TRUE = {"true", "yes", "y", "1", "x", "oui", "vrai", "ja", "wahr"}
_FALSE = {"false", "no", "n", "0", "non", "faux", "nein", "falsch"}
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$")


class Invalid(Exception):
    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass
class Lookups:
    """What the values of one organisation's import are read against, loaded once."""

    organisation: Organisation
    date_format: str
    countries: dict[str, Country] = field(default_factory=dict)
    instruments: dict[str, LegalInstrument] = field(default_factory=dict)
    members: dict[str, object] = field(default_factory=dict)
    groups: dict[str, SharingGroup] = field(default_factory=dict)
    choices: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, organisation: Organisation, date_format: str) -> Lookups:
        found = cls(organisation, date_format)
        for country in Country.objects.all():
            names = {country.code, country.name}
            record = pycountry.countries.get(alpha_2=country.code)
            if record is not None:
                names |= {record.alpha_3, getattr(record, "common_name", record.name)}
            for language in ("fr", "de"):
                with translation.override(language):
                    names.add(country.label)
            found.countries.update({normalise(name): country for name in names})
        for instrument in LegalInstrument.objects.all():
            found.instruments[str(instrument.pk)] = instrument
            found.instruments[normalise(instrument.title)] = instrument
        for membership in Membership.objects.filter(organisation=organisation).select_related(
                "user"):
            user = membership.user
            found.members[user.username.casefold()] = user
            if user.email:
                found.members.setdefault(user.email.casefold(), user)
        for group in SharingGroup.objects.filter(memberships__organisation=organisation):
            found.groups[str(group.pk)] = group
            found.groups[normalise(group.name)] = group
        return found

    def choices_of(self, model_field: str) -> dict[str, str]:
        if model_field not in self.choices:
            app, model, name = model_field.split(".")
            options = apps.get_model(app, model)._meta.get_field(name).choices or ()
            known: dict[str, str] = {}
            for code, label in options:
                known[normalise(code)] = code
                for language in ("en", "fr", "de"):
                    with translation.override(language):
                        known.setdefault(normalise(str(label)), code)
            self.choices[model_field] = known
        return self.choices[model_field]


def _text(cell) -> str:
    if isinstance(cell, Formula):
        raise Invalid(_("This cell holds a formula, not a value: paste it as a value."))
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _date(cell, date_format: str) -> datetime.date | None:
    if isinstance(cell, datetime.datetime):
        return cell.date()
    if isinstance(cell, datetime.date):
        return cell
    text = _text(cell)
    if not text:
        return None
    try:
        if _ISO.match(text):
            return datetime.date.fromisoformat(text)
        match = _NUMERIC.match(text)
        if match and date_format != DateFormat.ISO:
            first, second, year = (int(g) for g in match.groups())
            day, month = (first, second) if date_format == DateFormat.DMY else (second, first)
            return datetime.date(year, month, day)
    except ValueError:
        raise Invalid(_("This is not a date that exists.")) from None
    if _NUMERIC.match(text):
        raise Invalid(_("This date could be read day first or month first: choose the file's "
                        "date format, or write it as 2024-03-31."))
    raise Invalid(_("Write the date as 2024-03-31 (or choose the file's date format)."))


_TIME = re.compile(r"^(.+?)[ T](\d{1,2}):(\d{2})(?::\d{2})?$")


def _moment(cell, date_format: str) -> datetime.datetime | None:
    """A moment: a date and time, or a date alone (taken at noon), in the platform's time
    zone."""
    if isinstance(cell, datetime.datetime):
        moment = cell
    else:
        text = _text(cell) if not isinstance(cell, datetime.date) else ""
        match = _TIME.match(text)
        day = _date(match.group(1) if match else cell, date_format)
        if day is None:
            return None
        hour, minute = (int(match.group(2)), int(match.group(3))) if match else (12, 0)
        if hour > 23 or minute > 59:
            raise Invalid(_("This is not a time of day."))
        moment = datetime.datetime.combine(day, datetime.time(hour, minute))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _bool(cell) -> bool | None:
    if isinstance(cell, bool):
        return cell
    text = _text(cell).casefold()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid(_("Write yes or no."))


def _check_length(text: str, model_field: str) -> None:
    if not model_field or not text:
        return
    app, model, name = model_field.split(".")
    limit = apps.get_model(app, model)._meta.get_field(name).max_length
    if limit and len(text) > limit:
        raise Invalid(_("At most %(max)d characters (this has %(count)d).")
                      % {"max": limit, "count": len(text)})


def _choice(text: str, item: Field, lookups: Lookups) -> str:
    known = lookups.choices_of(item.model_field)
    code = known.get(normalise(text))
    if code is None:
        allowed = sorted(set(known.values()))
        raise Invalid(_("Not one of: %(allowed)s.") % {"allowed": ", ".join(allowed)})
    return code


def _country(text: str, lookups: Lookups) -> Country:
    country = lookups.countries.get(normalise(text))
    if country is None:
        raise Invalid(_("Not a known state: give its ISO code (such as CN) or its name."))
    return country


def read(item: Field, cell, lookups: Lookups):
    """The value of `item` in `cell` (None or "" when the cell is empty); raises Invalid."""
    kind = item.type
    if kind == DATE:
        return _date(cell, lookups.date_format)
    if kind == MOMENT:
        return _moment(cell, lookups.date_format)
    if kind == BOOL:
        return _bool(cell)
    text = _text(cell)
    if kind == LIST:
        parts = [part.strip() for part in text.split(";")] if text else []
        if item.model_field and lookups.choices_of(item.model_field):
            return [_choice(part, item, lookups) if part else "" for part in parts]
        for part in parts:
            _check_length(part, item.model_field)
        return parts
    if not text:
        # Empty: no states, no text; nothing for the rest (the default where a record is made).
        return {COUNTRIES: [], TEXT: ""}.get(kind)
    if kind == CHOICE:
        return _choice(text, item, lookups)
    if kind == COUNTRY:
        return _country(text, lookups)
    if kind == COUNTRIES:
        return [_country(part, lookups) for part in re.split(r"[;,]", text) if part.strip()]
    if kind == INSTRUMENT:
        found = lookups.instruments.get(text) or lookups.instruments.get(normalise(text))
        if found is None:
            raise Invalid(_("Not a known legal instrument: give its number or its title."))
        return found
    if kind == MEMBER:
        user = lookups.members.get(text.casefold())
        if user is None:
            raise Invalid(_("Not a member of your organisation: give a user name or e-mail."))
        return user
    if kind == GROUP:
        group = lookups.groups.get(text) or lookups.groups.get(normalise(text))
        if group is None:
            raise Invalid(_("Not a sharing group of your organisation."))
        return group
    if kind == INTEGER:
        if not text.isdigit():
            raise Invalid(_("Write a whole number."))
        return int(text)
    _check_length(text, item.model_field)
    return text


def errors_of(error: ValidationError, prefix: str = "") -> dict[str, str]:
    """A service's ValidationError as one message per field."""
    if hasattr(error, "error_dict"):
        return {prefix + name: " ".join(str(m) for e in errors for m in e.messages)
                for name, errors in error.error_dict.items()}
    return {prefix + "row": " ".join(error.messages)}
