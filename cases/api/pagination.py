"""How API lists are paged: by keyset over the whole order, so that no row is lost or shown twice.

A list's order always ends with a unique tie-breaker (`total_ordering`), so each row has its own
place in it. A cursor carries the values of every term of the order for the row at the edge of
a page, and the next page is the rows that come after those values, compared term by term.
DRF's own cursor kept only the first term, as text, with an offset for ties: a date that may be
empty then came back as "None" (a 400 on SQLite), and `date > position` left out every row
without a date on PostgreSQL. Empty values therefore have a place of their own: last when
ascending, first when descending, which is how PostgreSQL's indexes hold them, so an index of
(field, tie-breaker) still gives the order either way without a sort.
"""

import datetime
import json
from base64 import b64decode, b64encode
from typing import NamedTuple
from urllib import parse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param


def _field(model, name: str):
    return model._meta.pk if name == "pk" else model._meta.get_field(name)


def total_ordering(ordering, model, tie_breaker: str = "pk") -> tuple[str, ...]:
    """`ordering` with `tie_breaker` (a unique field) last, in the direction of the term before
    it, unless a term is unique already. Rows that tie on the sorted field then come in one
    order on every page (the cursor holds the tie-breaker's value too), and an index of
    (field, tie-breaker) serves the order both ways."""
    ordering = tuple(ordering)
    fields = [_field(model, term.removeprefix("-")) for term in ordering]
    if not ordering or any(field.unique for field in fields):
        return ordering
    return (*ordering, f"-{tie_breaker}" if ordering[-1].startswith("-") else tie_breaker)


class Term(NamedTuple):
    """One term of the order as the page is read: a reverse cursor reads the list backwards."""

    name: str
    field: models.Field
    descending: bool

    def expression(self):
        # Stated outright, so that SQLite (empty values first when ascending) agrees.
        column = F(self.name)
        return column.desc(nulls_first=True) if self.descending else column.asc(nulls_last=True)

    def strictly_after(self, value) -> Q | None:
        """The rows that come after `value` on this term; None for none at all."""
        if value is None:
            # Empty values come last ascending (nothing after them), first descending.
            return Q(**{f"{self.name}__isnull": False}) if self.descending else None
        after = Q(**{f"{self.name}__{'lt' if self.descending else 'gt'}": value})
        if self.field.null and not self.descending:
            after |= Q(**{f"{self.name}__isnull": True})
        return after

    def equal(self, value) -> Q:
        return Q(**{f"{self.name}__isnull": True} if value is None else {self.name: value})


def rows_after(terms: list[Term], position: list) -> Q | None:
    """The rows after `position` in the order of `terms`: after on the first term, or equal on
    it and after on the rest. None when no row can come after it."""
    after = None
    for term, value in reversed(list(zip(terms, position, strict=True))):
        strictly = term.strictly_after(value)
        tied = None if after is None else term.equal(value) & after
        after = strictly if tied is None else tied if strictly is None else strictly | tied
    first, value = terms[0], position[0]
    if after is not None and value is not None and (first.descending or not first.field.null):
        # The same rows, with a range on the first term the database can start an index at
        # instead of reading from the top. (Ascending with empty values after, there is none.)
        after &= Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": value})
    return after


def _plain(value):
    """A value as JSON holds it: text for dates, times, UUIDs and decimals."""
    if value is None or isinstance(value, str | int | float):
        return value
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _read(field: models.Field, raw):
    """The value `raw` of a cursor for `field`, refused unless it is exactly what a cursor of
    ours holds: a value the database could not compare would otherwise be a server error."""
    if raw is None:
        if not field.null:
            raise ValueError("no value")
        return None
    if isinstance(raw, str) and "\x00" in raw:
        raise ValueError("NUL")
    value = field.to_python(raw)
    if _plain(value) != raw or type(_plain(value)) is not type(raw):
        raise ValueError("not as written")
    if isinstance(field, models.IntegerField):
        field.run_validators(value)  # the range the database holds
    if isinstance(value, datetime.datetime) and settings.USE_TZ:
        if timezone.is_naive(value):
            raise ValueError("naive")
        value.astimezone(datetime.UTC)  # OverflowError at the ends of the calendar
    return value


class Cursor(NamedTuple):
    reverse: bool
    position: list | None


class CursorPagination(pagination.CursorPagination):
    """Keyset pagination: as fast on page 1,000 as on page 1, and no total count to compute.

    A page size or a cursor that cannot be read is a 400 naming it, like any other bad input,
    rather than quietly replaced by the default.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if not raw:
            return self.page_size
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= self.max_page_size):
            raise ValidationError({self.page_size_query_param: [
                _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
            ]})
        return int(raw)

    def get_ordering(self, request, queryset, view):
        return total_ordering(super().get_ordering(request, queryset, view), queryset.model,
                              getattr(view, "ordering_tie_breaker", "pk"))

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        self._fields = [_field(queryset.model, term.lstrip("-")) for term in self.ordering]
        self.cursor = self.decode_cursor(request) or Cursor(reverse=False, position=None)
        reverse, position = self.cursor

        terms = [Term(term.lstrip("-"), field, term.startswith("-") != reverse)
                 for term, field in zip(self.ordering, self._fields, strict=True)]
        queryset = queryset.order_by(*(term.expression() for term in terms))
        if position is not None:
            after = rows_after(terms, position)
            queryset = queryset.none() if after is None else queryset.filter(after)

        # One row more than the page tells whether there is a page beyond it.
        rows = list(queryset[:self.page_size + 1])
        more = len(rows) > self.page_size
        self.page = rows[:self.page_size]
        if reverse:
            # Read backwards from the cursor: the page in the list's order, the rest before it.
            self.page.reverse()
            self.has_previous, self.has_next = more, position is not None
        else:
            self.has_previous, self.has_next = position is not None, more
        self.display_page_controls = self.has_previous or self.has_next
        return self.page

    def get_next_link(self):
        if not self.has_next:
            return None
        if not self.page:
            # Nothing before the cursor any more: what follows is the first page.
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self.encode_cursor(Cursor(reverse=False, position=self._position(self.page[-1])))

    def get_previous_link(self):
        if not self.has_previous:
            return None
        # With nothing after the cursor any more, the page before is the last page.
        position = self._position(self.page[0]) if self.page else None
        return self.encode_cursor(Cursor(reverse=True, position=position))

    def _position(self, instance) -> list:
        return [_plain(getattr(instance, field.attname)) for field in self._fields]

    def encode_cursor(self, cursor):
        tokens = {"r": "1"} if cursor.reverse else {}
        if cursor.position is not None:
            tokens["p"] = json.dumps(cursor.position, separators=(",", ":"))
        encoded = b64encode(parse.urlencode(tokens).encode("ascii")).decode("ascii")
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def decode_cursor(self, request):
        """The cursor sent, or None; anything but one of ours, for this order, is a 400."""
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            tokens = parse.parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"),
                                    keep_blank_values=True, strict_parsing=True)
            if set(tokens) - {"r", "p"} or any(len(v) != 1 for v in tokens.values()):
                raise ValueError("unknown token")
            reverse = {"0": False, "1": True}[tokens.get("r", ["0"])[0]]
            position = None
            if "p" in tokens:
                raw = json.loads(tokens["p"][0])
                if not isinstance(raw, list):
                    raise ValueError("not a position")
                # A value for each term of this order (zip refuses another length).
                position = [_read(field, value)
                            for field, value in zip(self._fields, raw, strict=True)]
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError,
                DjangoValidationError):
            message = self.invalid_cursor_message
            raise ValidationError({self.cursor_query_param: [message]}) from None
        return Cursor(reverse=reverse, position=position)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters
