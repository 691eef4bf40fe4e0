"""Saved searches: a user's named query of a list, kept as the query string alone.

Each list registers the query parameters it takes (`register_filter_page`); a saved query keeps
only those, so a search saved today cannot carry anything the list would not read. Running one
is opening the list with it: the list applies the user's access of that moment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.http import Http404, QueryDict
from django.utils.translation import gettext as _

from .. import audit
from ..models import SavedFilter
from ..models.saved import NAME_MAX, QUERY_MAX
from .common import raise_errors

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

AuditAction = audit.Action


@dataclass(frozen=True)
class FilterPage:
    """A list whose searches may be saved: its URL name, the query parameters it reads
    (besides `sort`) and the sort orders it offers."""

    url_name: str
    parameters: Callable[[], Iterable[str]]
    sorts: tuple[str, ...] = field(default_factory=tuple)


FILTER_PAGES: dict[str, FilterPage] = {}


def register_filter_page(page: str, *, url_name: str, parameters: Callable[[], Iterable[str]],
                         sorts: Iterable[str] = ()) -> None:
    FILTER_PAGES[page] = FilterPage(url_name, parameters, tuple(sorts))


def clean_query(page: str, query: str) -> str:
    """The query string with only what the page reads: its filters' parameters with a value,
    and a sort order it offers. Anything else (the page number among it) is dropped."""
    known = FILTER_PAGES.get(page)
    if known is None:
        return ""
    accepted = set(known.parameters())
    sent = QueryDict(query or "")
    kept = QueryDict(mutable=True)
    for name in sent:
        values = [v for v in sent.getlist(name) if v.strip() and "\x00" not in v]
        if name == "sort":
            values = [v for v in values[-1:] if v in known.sorts]
        elif name not in accepted:
            continue
        if values:
            kept.setlist(name, values)
    return kept.urlencode()


def saved_filter_create(*, actor: AbstractBaseUser, page: str, name: str,
                        query: str) -> SavedFilter:
    """Save the user's search of `page` under `name` (unique among its searches of the page)."""
    errors: dict = {}
    name = (name or "").strip()
    if page not in SavedFilter.Page.values or page not in FILTER_PAGES:
        errors["page"] = _("Searches of this page cannot be saved.")
    if not name:
        errors["name"] = _("Give the search a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name has at most %(max)d characters.") % {"max": NAME_MAX}
    elif SavedFilter.objects.filter(user=actor, page=page, name=name).exists():
        errors["name"] = _("You already have a search of this page with this name.")
    cleaned = clean_query(page, query) if "page" not in errors else ""
    if "page" not in errors and not cleaned:
        errors["query"] = _("Choose at least one filter before saving the search.")
    elif len(cleaned) > QUERY_MAX:
        errors["query"] = _("This search is too long to save.")
    raise_errors(errors)
    try:
        with transaction.atomic():
            saved = SavedFilter.objects.create(user=actor, page=page, name=name, query=cleaned)
            audit.record(actor, AuditAction.CREATE, saved, organisation_id=None,
                         changed_fields=["page", "name", "query"], detail={"page": page})
    except IntegrityError:
        # Saved by the same user a moment ago, from another tab.
        raise_errors({"name": _("You already have a search of this page with this name.")})
    return saved


def saved_filter_delete(*, actor: AbstractBaseUser, saved_filter: SavedFilter) -> None:
    """Delete one of the user's own saved searches; another's is not found."""
    if saved_filter.user_id != getattr(actor, "pk", None):
        raise Http404
    with transaction.atomic():
        audit.record(actor, AuditAction.DELETE, saved_filter, organisation_id=None,
                     detail={"page": saved_filter.page})
        saved_filter.delete()
