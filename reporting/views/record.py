"""The cross-state compliance record as a page: the API's filters and groupings, the table of
cells and the report's charts.

The GET parameters are validated by the record's `RecordQuery`, as the API endpoint's are, so
the page and the endpoint accept and refuse the same things; a cell of fewer than three cases
shows "<3" and nothing else, in the table and the charts alike.
"""

from __future__ import annotations

import functools
import json
from urllib.parse import urlencode

from django import forms
from django.forms.utils import ErrorDict
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from cases.models import Assurance
from cases.views.base import MemberPage
from monitoring.models import Finding

from ..exports import report
from ..record import GROUPINGS, compliance_record, compliance_records, record_filters
from ..record_query import RecordQuery, grouping
from .exports import GROUP_LABELS, country_choices, instrument_choices

FILTER_NAMES = ("requesting_state", "legal_instrument", "assurance_type", "observed_after",
                "observed_before")


class RecordFilterForm(forms.Form):
    """The filter fields, for labels and kept values; `RecordQuery` validates them."""

    requesting_state = forms.ChoiceField(label=gettext_lazy("Requesting state"), required=False)
    legal_instrument = forms.ChoiceField(label=gettext_lazy("Legal instrument"), required=False)
    assurance_type = forms.ChoiceField(
        label=gettext_lazy("Assurance type"), required=False,
        choices=[("", "—"), *Assurance.Type.choices])
    observed_after = forms.DateField(label=gettext_lazy("Observed on or after"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}))
    observed_before = forms.DateField(label=gettext_lazy("Observed on or before"), required=False,
                                      widget=forms.DateInput(attrs={"type": "date"}))
    group_by = forms.MultipleChoiceField(
        label=gettext_lazy("Group by"), required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        choices=[(g, GROUP_LABELS[g]) for g in GROUPINGS],
        help_text=gettext_lazy("By requesting state when none is chosen."))

    def __init__(self, data, *, countries, instruments, errors: dict):
        super().__init__(data)
        self.fields["requesting_state"].choices = [("", "—"), *countries]
        self.fields["legal_instrument"].choices = [("", "—"), *instruments]
        # No validation of its own: the query's messages are the form's errors.
        self._errors = ErrorDict()
        self.cleaned_data = {}
        for name, messages in errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, str(message))


def _query_data(params) -> dict:
    """The GET parameters as the API endpoint reads them; empty fields of the form dropped."""
    data = {k: v for k, v in params.items() if k != "group_by" and v != ""}
    group_by = [g for g in params.getlist("group_by") if g != ""]
    if group_by:
        data["group_by"] = group_by
    return data


class CompliancePage(MemberPage, TemplateView):
    template_name = "reporting/record/record.html"

    def get(self, request, *args, **kwargs):
        query = RecordQuery(data=_query_data(request.GET))
        valid = query.is_valid()
        context = self.get_context_data(query=query.validated_data if valid else None,
                                        errors={} if valid else query.errors)
        return self.render_to_response(context, status=200 if valid else 400)

    def get_context_data(self, *, query, errors, **kwargs):
        context = super().get_context_data(**kwargs)
        countries = country_choices(self.request)
        instruments = instrument_choices(self.request)
        context["form"] = RecordFilterForm(self.request.GET, countries=countries,
                                           instruments=instruments, errors=errors)
        context["title"] = _("Compliance record")
        context["shown"] = query is not None
        if query is None:
            return context
        group_by = grouping(query)
        filters = record_filters(query)
        names = {
            "requesting_state": dict(countries),
            "legal_instrument": {int(pk): title for pk, title in instruments},
            "assurance_type": dict(Assurance.Type.choices),
        }
        # The table's grouping and the report's three charts, from one read of the findings.
        cells, by_type, by_state, by_year = compliance_records(
            self.request.user,
            [group_by, ("assurance_type",), ("requesting_state",), ("year",)],
            filters=filters)
        context.update(
            group_by=[(g, GROUP_LABELS[g]) for g in group_by],
            rows=[_row(cell, group_by, names) for cell in cells],
            charts=charts(by_type, by_state, by_year, names["requesting_state"]),
            export_url=self.export_url(),
        )
        return context

    def export_url(self) -> str:
        """The PDF report's export form, with the same filters filled in."""
        params = [("kind", "compliance"), ("format", "pdf")]
        params += [(k, v) for k, v in self.request.GET.items() if k in FILTER_NAMES and v]
        params += [("group_by", g) for g in self.request.GET.getlist("group_by") if g]
        return reverse("reporting:export_create") + "?" + urlencode(params)


def charts(by_type, by_state, by_year, state_names: dict) -> list[dict]:
    """The report's three charts (each with a text alternative), text drawn by the browser."""
    states = report.named_by_state(by_state, report.state_namer(state_names))
    data = json.dumps([by_type, states, by_year], sort_keys=True, default=str)
    return _drawn(data, get_language())


@functools.lru_cache(maxsize=32)
def _drawn(data: str, language: str) -> list[dict]:
    """Charts of these numbers in this language. Keyed by the numbers themselves, a drawing
    is reused only for the very numbers it shows, whoever asks: nothing to invalidate."""
    by_type, states, by_year = json.loads(data)
    with translation.override(language):
        return report.charts(by_type, [tuple(pair) for pair in states], by_year,
                             text_as_paths=False)


def _row(cell: dict, group_by, names: dict) -> dict:
    """A cell of the record with its groups named, and its outcomes in a fixed order."""
    labels = []
    for g in group_by:
        value = cell[g]
        if value is None:
            labels.append(_("Unknown"))
        else:
            labels.append(names.get(g, {}).get(value, value))
    row = {"labels": labels, "cell": cell}
    if not cell["suppressed"]:
        row["outcomes"] = [(o.label, cell["outcomes"][o.value]) for o in Finding.Outcome
                           if cell["outcomes"][o.value]]
    return row


class RecordSummary(MemberPage, TemplateView):
    """The record by requesting state, as the auditor's dashboard shows it. The dashboard
    fetches it once the page is shown, so its other panels do not wait for the count."""

    template_name = "reporting/record_summary.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cells"] = compliance_record(self.request.user, group_by=("requesting_state",))
        return context


urlpatterns = [
    path("record/", CompliancePage.as_view(), name="record"),
    path("record/summary/", RecordSummary.as_view(), name="record_summary"),
]
