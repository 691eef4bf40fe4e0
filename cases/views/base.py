"""What every page of the web application stands on: the policy's restricted querysets, the
acting organisation, and the services for every write, as in the API.

A page view never queries case data except through `policy.restrict()`; a record outside it is
a 404. Forms call the same service functions as the API; a service's `ValidationError` lands on
the form's fields, `PermissionDenied` is a 403 and `Conflict` (someone else saved first) shows
what the other person saved instead of overwriting it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from .. import access, policy
from ..exceptions import Conflict
from ..models import Organisation

SESSION_KEY = "acting_organisation"
PAGE_SIZE = 50


class CountedSoFar(Paginator):
    """Pages of a list whose rows are counted no further than the end of the page asked,
    rounded up to a whole `reach`: a list of a million rows costs about what its page does to
    count, not a read of every row the user may see. Within that the count is exact; beyond
    it the list says "more than" `more_than` rows, on more than `more_than_pages` pages, and
    the next page is still there. The figure stays put while one pages through a step."""

    reach = 1000

    def __init__(self, object_list: QuerySet, per_page: int, asked):
        super().__init__(object_list, per_page)
        try:
            # A page past the last is the last (`get_page`); past a billion, the database's
            # LIMIT would overflow.
            number = min(max(int(asked), 1), 10**9)
        except (TypeError, ValueError):
            number = 1
        # Rows up to the end of the page asked, rounded up to a whole step; one more row tells
        # whether there is a next page.
        self.limit = -(-number * per_page // self.reach) * self.reach

    @cached_property
    def count(self) -> int:
        # In no order: counting needs none, and one that no index serves would sort them all.
        return self.object_list.order_by()[: self.limit + 1].count()

    @property
    def more_than(self) -> int | None:
        """The rows the list holds more than, where it was not counted to its end."""
        return self.limit if self.count > self.limit else None

    @property
    def more_than_pages(self) -> int | None:
        return None if self.more_than is None else self.more_than // self.per_page


# --- who is acting ---------------------------------------------------------------------------


def memberships(request) -> list[tuple[Organisation, str]]:
    """(organisation, role) of the signed-in user, read once per request."""
    cached = getattr(request, "_memberships", None)
    if cached is None:
        roles = policy.roles(request.user)
        organisations = Organisation.objects.filter(pk__in=roles).order_by("name")
        cached = [(org, roles[org.pk]) for org in organisations]
        request._memberships = cached
    return cached


def acting_organisation(request) -> Organisation | None:
    """The organisation the user acts for: its choice, else its first membership."""
    mine = memberships(request)
    chosen = request.session.get(SESSION_KEY)
    for org, _role in mine:
        if org.pk == chosen:
            return org
    return mine[0][0] if mine else None


def acting_role(request) -> str | None:
    org = acting_organisation(request)
    return policy.roles(request.user).get(org.pk) if org else None


def navigation(request) -> dict:
    """Template context of every page: the user's organisations and the acting one."""
    if not request.user.is_authenticated:
        return {}
    org = acting_organisation(request)
    return {
        "memberships": memberships(request),
        "acting_organisation": org,
        "acting_role": policy.roles(request.user).get(org.pk) if org else None,
    }


# --- pages -----------------------------------------------------------------------------------


class MemberPage(LoginRequiredMixin):
    """A page for signed-in users. `may(request)` says whether the page is for this user at
    all; where it is not, the answer is a 404, as for a record the user may not see."""

    def may(self, request) -> bool:
        return True

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.may(request):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def visible(request, model):
    """The rows of `model` the signed-in user may see."""
    return policy.restrict(model._default_manager.all(), request.user)


def visible_or_404(request, records, **lookup):
    """One record the user may see (of a model, or an unrestricted queryset with its joins),
    or a 404 that is audited where the record exists."""
    return access.get_visible_or_404(request.user, records, **lookup)


class ListPage(MemberPage, TemplateView):
    """A filtered, sorted, paginated list of what the user may see."""

    model = None
    filterset_class = None
    orderings: dict[str, tuple[str, ...]] = {}
    default_ordering = ""

    def base_queryset(self):
        return visible(self.request, self.model)

    def optimise(self, queryset):
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        queryset = self.base_queryset()
        filterset = None
        if self.filterset_class is not None:
            filterset = self.filterset_class(self.request.GET or None, queryset=queryset,
                                             request=self.request)
            queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else (
                queryset if not filterset.is_bound else queryset.none())
        sort = self.request.GET.get("sort") or self.default_ordering
        if sort not in self.orderings:
            sort = self.default_ordering
        if sort:
            queryset = queryset.order_by(*self.orderings[sort])
        asked = self.request.GET.get("page")
        page = CountedSoFar(self.optimise(queryset), PAGE_SIZE, asked).get_page(asked)
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(filter=filterset, page=page, rows=page.object_list, sort=sort,
                       sorts=list(self.orderings), query=query.urlencode())
        return context


def apply_service_errors(form, error: ValidationError) -> None:
    """A service's errors on the form's fields (unknown fields as errors of the whole form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for e in errors:
                form.add_error(field if field in form.fields else NON_FIELD_ERRORS,
                               e.message % e.params if e.params else e.message)
    else:
        for message in error.messages:
            form.add_error(NON_FIELD_ERRORS, message)


class ServiceFormPage(MemberPage, TemplateView):
    """A form whose valid data goes to a service function. On success it redirects; otherwise
    the form shows again, with the service's errors next to their fields and what the user
    typed kept."""

    form_class = None
    template_name = "form.html"
    title = ""
    submit_label = ""

    def get_form_kwargs(self) -> dict:
        return {}

    def get_form(self, data=None, files=None):
        return self.form_class(data, files, **self.get_form_kwargs())

    def perform(self, form):
        """Call the service; return the URL to go to."""
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                return redirect(self.perform(form))
            except ValidationError as error:
                apply_service_errors(form, error)
            except Conflict:
                return self.render_to_response(self.get_context_data(
                    form=form, conflict=self.conflict(form), status=409), status=409)
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def conflict(self, form) -> list[dict]:
        """What the record holds now, field by field, where it differs from what was sent."""
        return []

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("title", self.title)
        context.setdefault("submit_label", self.submit_label or _("Save"))
        return context


def changed_fields(form, current: dict) -> list[dict]:
    """Fields whose stored value differs from what the user sent, for a stale edit."""
    out = []
    for name, field in form.fields.items():
        if name == "version" or name not in current:
            continue
        sent = form.cleaned_data.get(name) if form.is_bound and hasattr(
            form, "cleaned_data") else None
        stored = current[name]
        if sent != stored:
            out.append({"field": field.label or name, "stored": stored, "sent": sent})
    return out


def carry_version(form, version: int) -> None:
    """After a conflict the form carries the version now stored, so saving again works."""
    form.data = form.data.copy()
    form.data["version"] = str(version)


def stale_edit(form, current: dict) -> list[dict]:
    """For a stale edit: what changed (see `changed_fields`), the form moved to the version
    now stored. `current` holds the record's values and its `version`."""
    current = dict(current)
    carry_version(form, current.pop("version"))
    return changed_fields(form, current)


def safe_next(request, target: str | None, default: str = "/") -> str:
    """`target` if it is a page of this site, else `default`: never a redirect elsewhere."""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


class ActionPage(MemberPage, View):
    """A POST-only action (mark read, leave a group): a service call, then back."""

    http_method_names = ["post"]
    success_message = ""

    def act(self, request, *args, **kwargs) -> str:
        raise NotImplementedError

    def post(self, request, *args, **kwargs):
        try:
            target = self.act(request, *args, **kwargs)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(safe_next(request, request.POST.get("next")
                                      or request.META.get("HTTP_REFERER")))
        if self.success_message:
            messages.success(request, self.success_message)
        return redirect(target)


# --- the case page, assembled from the apps that know about a case ---------------------------


@dataclass(frozen=True)
class CasePanel:
    """A section of the case page: a template and the context it needs."""

    template: str
    context: Callable  # (request, case) -> dict
    order: int = 50


CASE_PANELS: list[CasePanel] = []
# Entries of the case's timeline from other apps: (request, case, owner_view) -> [dict].
TIMELINE_SOURCES: list[Callable] = []


def register_case_panel(panel: CasePanel) -> None:
    CASE_PANELS.append(panel)
    CASE_PANELS.sort(key=lambda p: p.order)


def register_timeline_source(source: Callable) -> None:
    TIMELINE_SOURCES.append(source)

