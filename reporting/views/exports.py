"""Exports in the web application: asking for one, watching it being built, taking it out.

The same service as the API asks, builds and opens the file (`reporting.exports.services`);
the pages only translate HTTP. What a user may see of exports is the policy's: its own files,
and for auditors those of their organisation, except files with identifiers.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.dateparse import parse_date
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cases import policy
from cases.models import Assurance, Case, Country, LegalInstrument
from cases.models.sharing import TLP, Distribution
from cases.views.base import (
    ListPage,
    MemberPage,
    ServiceFormPage,
    acting_organisation,
    visible,
    visible_or_404,
)
from monitoring.models import Finding, FollowUp

from ..exports import build, http
from ..exports import services as exports
from ..filters import ExportFilter
from ..models import Export
from ..record import GROUPINGS

Kind, Status = Export.Kind, Export.Status
BUILDING = (Status.QUEUED, Status.RUNNING)
GROUP_LABELS = {
    "requesting_state": gettext_lazy("Requesting state"),
    "legal_instrument": gettext_lazy("Legal instrument"),
    "assurance_type": gettext_lazy("Assurance type"),
    "year": gettext_lazy("Year observed"),
}


# --- the form --------------------------------------------------------------------------------


def country_choices(request) -> list[tuple[str, str]]:
    """The countries, named in the reader's language and listed in its order."""
    return sorted(((c.code, c.label) for c in visible(request, Country)),
                  key=lambda choice: choice[1].casefold())


def instrument_choices(request) -> list[tuple[str, str]]:
    """The legal instruments, named in the reader's language and listed in its order."""
    return sorted(((str(i.pk), i.label) for i in visible(request, LegalInstrument)
                   .select_related("party_a", "party_b")),
                  key=lambda choice: choice[1].casefold())


def _many(label, choices) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=choices, required=False)


def _one(label, choices) -> forms.ChoiceField:
    return forms.ChoiceField(label=label, choices=[("", "—"), *choices], required=False)


def _date(label) -> forms.DateField:
    return forms.DateField(label=label, required=False,
                           widget=forms.DateInput(attrs={"type": "date"}))


def filter_fields(kind: str, request) -> dict[str, forms.Field]:
    """The filters offered for each kind of export: the list's own filter names."""
    if kind == Kind.CASES:
        return {
            "status": _many(_("Status"), Case.Status.choices),
            "requesting_state": _many(_("Requesting state"), country_choices(request)),
            "distribution": _many(_("Distribution"), Distribution.choices),
            "tlp": _many(_("TLP label"), TLP.choices),
        }
    if kind == Kind.FOLLOW_UPS:
        return {
            "status": _many(_("Status"), FollowUp.Status.choices),
            "kind": _many(_("Kind of follow-up"), FollowUp.Kind.choices),
        }
    if kind == Kind.FINDINGS:
        return {
            "outcome": _many(_("Outcome"), Finding.Outcome.choices),
            "severity": _many(_("Severity"), Finding.Severity.choices),
            "is_open": _one(_("Open or closed"), [("true", _("Open")), ("false", _("Closed"))]),
        }
    if kind == Kind.COMPLIANCE:
        return {
            "requesting_state": _one(_("Requesting state"), country_choices(request)),
            "legal_instrument": _one(_("Legal instrument"), instrument_choices(request)),
            "assurance_type": _one(_("Assurance type"), Assurance.Type.choices),
            "observed_after": _date(_("Observed on or after")),
            "observed_before": _date(_("Observed on or before")),
            "group_by": forms.MultipleChoiceField(
                label=_("Group by"), required=False,
                widget=forms.SelectMultiple(attrs={"size": 4}),
                choices=[(g, GROUP_LABELS[g]) for g in GROUPINGS],
                help_text=_("By requesting state when none is chosen."),
            ),
        }
    return {}


def filters_in_words(kind: str, filters: dict, request) -> list[tuple[str, str]]:
    """An export's filters as its form names them: each filter's label, and the names of its
    values (states, instruments, types, statuses), not their codes."""
    fields = filter_fields(kind, request)
    words = []
    # In the form's order, whatever order the stored filters come back in (jsonb sorts keys).
    names = [n for n in fields if n in filters] + sorted(n for n in filters if n not in fields)
    for name in names:
        value, field = filters[name], fields.get(name)
        values = value if isinstance(value, list | tuple) else [value]
        if field is None:
            words.append((name, ", ".join(map(str, values))))
        else:
            words.append((str(field.label), ", ".join(_value_words(field, v) for v in values)))
    return words


def _value_words(field: forms.Field, value) -> str:
    if isinstance(field, forms.DateField):
        day = parse_date(str(value)) if value else None
        return date_format(day, "DATE_FORMAT") if day else str(value)
    key = str(value).lower() if isinstance(value, bool) else str(value)
    return str({str(k): v for k, v in getattr(field, "choices", ())}.get(key, value))


class ExportForm(forms.Form):
    kind = forms.ChoiceField(choices=Kind.choices, widget=forms.HiddenInput)
    format = forms.ChoiceField(label=gettext_lazy("Format"))

    def __init__(self, *args, kind: str, request, identifiers: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.filter_names = []
        formats = exports.FORMATS_OF.get(kind, ())
        self.fields["format"].choices = [(f, Export.Format(f).label) for f in formats]
        for name, field in filter_fields(kind, request).items():
            self.fields[name] = field
            self.filter_names.append(name)
        if identifiers and kind == Kind.CASES:
            self.fields["include_identifiers"] = forms.BooleanField(
                label=_("Include subjects' names and dates of birth"), required=False,
                help_text=_("Only your organisation's own cases; every download is audited."),
            )

    def add_error(self, field, error):
        # The kind is chosen by a link, not a field: its errors go on top of the form.
        super().add_error(None if field == "kind" else field, error)

    def filters(self) -> dict:
        """The filters as the export service takes them (the API's query parameters)."""
        out = {}
        for name in self.filter_names:
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            out[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return out


def _initial(data: QueryDict, fields: dict) -> dict:
    """A form prefilled from a link (the compliance record's "export these")."""
    initial = {}
    for name, field in fields.items():
        values = [v for v in data.getlist(name) if "\x00" not in v]
        if values:
            many = isinstance(field, forms.MultipleChoiceField)
            initial[name] = values if many else values[-1]
    return initial


def _service_errors(error: ValidationError) -> ValidationError:
    """`filters.status` of the service is the form's `status` field."""
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({key.removeprefix("filters."): value
                            for key, value in error.error_dict.items()})


# --- pages -----------------------------------------------------------------------------------


class ExportList(ListPage):
    template_name = "reporting/exports/list.html"
    model = Export
    filterset_class = ExportFilter
    orderings = {"-created": ("-created_at",), "created": ("created_at",)}
    default_ordering = "-created"

    def optimise(self, queryset):
        return queryset.select_related("requester", "organisation")

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(**kwargs)
        invalid = context["filter"] is not None and context["filter"].is_bound and (
            not context["filter"].is_valid())
        return self.render_to_response(context, status=400 if invalid else 200)


class ExportCreate(ServiceFormPage):
    template_name = "reporting/exports/create.html"
    title = gettext_lazy("New export")
    submit_label = gettext_lazy("Ask for the export")

    def kind(self) -> str:
        if self.request.method == "POST":
            # Refused by the form when unknown, so that the user learns why.
            return self.request.POST.get("kind", "")
        kind = self.request.GET.get("kind")
        return kind if kind in Kind.values else Kind.CASES

    def may_see_identifiers(self) -> bool:
        org = acting_organisation(self.request)
        return org is not None and policy.has_right(
            self.request.user, org.pk, policy.Resource.SUBJECT, policy.Action.VIEW_IDENTIFIERS)

    def get_form(self, data=None, files=None):
        kind = self.kind()
        form = ExportForm(data, kind=kind, request=self.request,
                          identifiers=self.may_see_identifiers())
        if data is None:
            form.initial = {"kind": kind, **_initial(self.request.GET, form.fields)}
        return form

    def perform(self, form):
        data = form.cleaned_data
        try:
            export = exports.export_request(
                actor=self.request.user, kind=data["kind"], format=data["format"],
                filters=form.filters(), organisation=acting_organisation(self.request),
                include_identifiers=bool(data.get("include_identifiers")),
            )
        except ValidationError as error:
            raise _service_errors(error) from None
        return reverse("reporting:export_detail", args=[export.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["kinds"] = Kind.choices
        context["kind"] = self.kind()
        context["cancel_url"] = reverse("reporting:export_list")
        return context


def _visible_export(request, pk) -> Export:
    return visible_or_404(request, Export.objects.select_related("requester", "organisation"),
                          pk=pk)


class ExportDetail(MemberPage, TemplateView):
    template_name = "reporting/exports/detail.html"

    def get_template_names(self):
        # HTMX polls only the status part while the file is being built.
        if self.request.htmx:
            return ["reporting/exports/status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        export = _visible_export(self.request, kwargs["pk"])
        context.update(
            export=export,
            building=export.status in BUILDING,
            manifest=build.manifest(export),
            filters_in_words=filters_in_words(export.kind, export.filters, self.request),
            tlp_label=TLP(export.tlp).label,
        )
        return context


class ExportDownload(MemberPage, View):
    def get(self, request, pk):
        export = _visible_export(request, pk)
        try:
            fh = exports.export_open(actor=request.user, export=export)
        except exports.Gone as exc:
            title = (_("This export was withdrawn") if isinstance(exc, exports.Withdrawn)
                     else _("This export has expired"))
            return render(request, "reporting/exports/unavailable.html",
                          {"export": export, "reason": str(exc), "title": title}, status=410)
        except exports.NotReady as exc:
            return render(request, "reporting/exports/unavailable.html",
                          {"export": export, "reason": str(exc),
                           "title": _("This export is not ready")}, status=409)
        return http.download(export, fh)


urlpatterns = [
    path("exports/", ExportList.as_view(), name="export_list"),
    path("exports/new/", ExportCreate.as_view(), name="export_create"),
    path("exports/<uuid:pk>/", ExportDetail.as_view(), name="export_detail"),
    path("exports/<uuid:pk>/download/", ExportDownload.as_view(), name="export_download"),
]
