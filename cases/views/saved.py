"""Saved searches of the lists: saving the search on screen under a name, opening one, and
deleting one. A saved search is the list's own query string, only ever the user's own: another
user's answers 404, as a record out of sight does."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from .. import services
from ..models import SavedFilter
from ..models.saved import NAME_MAX
from ..services.saved_filters import FILTER_PAGES, clean_query
from .base import ActionPage, MemberPage, ServiceFormPage, safe_next


def list_parameters(view_class) -> set[str]:
    """The query parameters a list page reads: its filters' and `sort` where it sorts."""
    filterset = view_class.filterset_class(request=None)
    return set(filterset.parameters()) | ({"sort"} if view_class.orderings else set())


def list_url(saved: SavedFilter) -> str:
    url = reverse(FILTER_PAGES[saved.page].url_name)
    return f"{url}?{saved.query}" if saved.query else url


def saved_filters_context(request, page: str, query: str) -> dict:
    """What a list shows of saved searches: the user's own for the page, and whether the
    search on screen is one that could be saved."""
    return {
        "saved_filters": list(SavedFilter.objects.filter(user=request.user, page=page)
                              .order_by("name").only("pk", "name", "query", "page")),
        "saved_filter_page": page,
        "saved_filter_query": clean_query(page, query),
        "saved_filter_name_max": NAME_MAX,
    }


class SavedFilterForm(forms.Form):
    # Length and emptiness are the service's to judge, so that the page and the API say alike.
    name = forms.CharField(label=gettext_lazy("Name of the search"), required=False,
                           strip=False, widget=forms.TextInput(attrs={"maxlength": NAME_MAX}))
    page = forms.CharField(required=False, widget=forms.HiddenInput)
    query = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)


class SavedFilterCreate(ServiceFormPage):
    """Save the search on screen; a refused name shows the form again with why (400)."""

    http_method_names = ["post"]
    form_class = SavedFilterForm
    template_name = "form.html"
    title = gettext_lazy("Save this search")
    submit_label = gettext_lazy("Save the search")

    def perform(self, form):
        data = form.cleaned_data
        try:
            saved = services.saved_filter_create(actor=self.request.user, page=data["page"],
                                                 name=data["name"], query=data["query"])
        except ValidationError as error:
            # The page and the query are hidden fields: what is wrong with them goes on top.
            raise ValidationError({
                key if key == "name" else NON_FIELD_ERRORS: value
                for key, value in error.error_dict.items()}) from None
        messages.success(self.request, _("The search is saved."))
        return list_url(saved)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context.get("form")
        page = form.data.get("page") if form is not None else None
        if page in FILTER_PAGES:
            context["cancel_url"] = reverse(FILTER_PAGES[page].url_name) + (
                f"?{clean_query(page, form.data.get('query', ''))}")
        return context


def own_or_404(request, pk) -> SavedFilter:
    return get_object_or_404(SavedFilter, pk=pk, user=request.user)


class SavedFilterRun(MemberPage, View):
    """Open the list with the saved query."""

    http_method_names = ["get"]

    def get(self, request, pk):
        return redirect(list_url(own_or_404(request, pk)))


class SavedFilterDelete(ActionPage):
    success_message = gettext_lazy("The saved search is deleted.")

    def act(self, request, pk):
        saved = own_or_404(request, pk)
        services.saved_filter_delete(actor=request.user, saved_filter=saved)
        # Back to the list as it was shown.
        return safe_next(request, request.POST.get("next"),
                         reverse(FILTER_PAGES[saved.page].url_name))


urlpatterns = [
    path("saved-searches/", SavedFilterCreate.as_view(), name="saved_filter_create"),
    path("saved-searches/<int:pk>/", SavedFilterRun.as_view(), name="saved_filter_run"),
    path("saved-searches/<int:pk>/delete/", SavedFilterDelete.as_view(),
         name="saved_filter_delete"),
]
