"""The import pages: upload a file, map its columns, see the check's errors row by row, then
import. For caseworkers and org admins; everyone else gets 404, as for a record out of sight."""

from __future__ import annotations

import csv
import io

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cases import policy
from cases.views.base import (
    ActionPage,
    MemberPage,
    ServiceFormPage,
    acting_organisation,
    visible,
    visible_or_404,
)

from . import services
from .fields import EXAMPLES, FIELDS, fields_of
from .models import ColumnMapping, DateFormat, ImportJob, Kind

Status = ImportJob.Status


class _ImportPage(MemberPage):
    def may(self, request) -> bool:
        return bool(policy.organisations_with(request.user, policy.Resource.IMPORT,
                                              policy.Action.VIEW))


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=Kind.choices)
    file = forms.FileField(label=gettext_lazy("File (CSV or XLSX)"),
                           help_text=gettext_lazy("The first row names the columns."))
    date_format = forms.ChoiceField(label=gettext_lazy("How the file writes dates"),
                                    choices=DateFormat.choices, initial=DateFormat.ISO)
    mapping = forms.ModelChoiceField(label=gettext_lazy("Saved mapping"), required=False,
                                     queryset=ColumnMapping.objects.none(),
                                     empty_label=gettext_lazy("None: suggest from the headers"))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mapping"].queryset = policy.restrict(ColumnMapping.objects.all(), user)


class ImportList(_ImportPage, ServiceFormPage):
    """The upload form and the imports the user may see."""

    form_class = UploadForm
    template_name = "imports/import_list.html"
    title = gettext_lazy("Import records")
    submit_label = gettext_lazy("Upload")

    def get_form_kwargs(self) -> dict:
        return {"user": self.request.user}

    def perform(self, form):
        data = form.cleaned_data
        if not policy.organisations_with(self.request.user, policy.Resource.IMPORT,
                                         policy.Action.CREATE):
            raise PermissionDenied
        job = services.import_upload(
            actor=self.request.user, organisation=acting_organisation(self.request),
            kind=data["kind"], file=data["file"], date_format=data["date_format"],
            mapping=data["mapping"])
        return reverse("imports:detail", args=[job.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imports"] = visible(self.request, ImportJob).select_related(
            "created_by")[:50]
        context["kinds"] = [(kind, label, FIELDS[kind]) for kind, label in Kind.choices]
        return context


class MappingForm(forms.Form):
    date_format = forms.ChoiceField(label=gettext_lazy("How the file writes dates"),
                                    choices=DateFormat.choices)
    save_as = forms.CharField(label=gettext_lazy("Keep this mapping as (optional)"),
                              required=False, max_length=100)

    def __init__(self, *args, job: ImportJob, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("Leave out"))] + [(f.name, f"{f.label}{' *' if f.required else ''}")
                                            for f in fields_of(job.kind).values()]
        self.columns = []
        for index, header in enumerate(job.headers):
            name = f"column_{index}"
            self.fields[name] = forms.ChoiceField(
                label=header or _("(column %(n)d without a header)") % {"n": index + 1},
                choices=choices, required=False, initial=job.mapping.get(header, ""))
            self.columns.append((name, header))
        self.fields["date_format"].initial = job.date_format

    def mapping(self) -> dict[str, str]:
        return {header: self.cleaned_data.get(name) or "" for name, header in self.columns}


def _job(request, pk) -> ImportJob:
    return visible_or_404(request, ImportJob.objects.select_related("organisation",
                                                                    "created_by"), pk=pk)


class ImportDetail(_ImportPage, ServiceFormPage):
    """One import: its mapping (while it can change), its progress, what the check found."""

    form_class = MappingForm
    template_name = "imports/import_detail.html"
    submit_label = gettext_lazy("Check every row")

    def dispatch(self, request, *args, **kwargs):
        self.job = _job(request, kwargs["pk"]) if request.user.is_authenticated else None
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict:
        return {"job": self.job}

    def perform(self, form):
        services.import_configure(actor=self.request.user, job=self.job,
                                  mapping=form.mapping(),
                                  date_format=form.cleaned_data["date_format"],
                                  save_as=form.cleaned_data["save_as"])
        services.import_check(actor=self.request.user, job=self.job)
        return reverse("imports:detail", args=[self.job.pk])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        job = self.job
        labels = {f.name: f.label for f in fields_of(job.kind).values()}
        context.update(
            job=job, title=_("Import of %(name)s") % {"name": job.filename},
            editable=job.status in (Status.UPLOADED, Status.CHECKED, Status.FAILED),
            running=job.status in ImportJob.RUNNING,
            errors=[{**e, "label": labels.get(e["field"], e["field"])} for e in job.errors],
            may_commit=job.status == Status.CHECKED and not job.error_count and policy.has_right(
                self.request.user, job.organisation_id, policy.Resource.IMPORT,
                policy.Action.CREATE),
        )
        return context


class ImportCommit(_ImportPage, ActionPage):
    success_message = gettext_lazy("The import has started.")

    def act(self, request, pk):
        job = _job(request, pk)
        services.import_commit(actor=request.user, job=job)
        return reverse("imports:detail", args=[job.pk])


class ImportDiscard(_ImportPage, ActionPage):
    success_message = gettext_lazy("The import is discarded and its file deleted.")

    def act(self, request, pk):
        services.import_discard(actor=request.user, job=_job(request, pk))
        return reverse("imports:list")


class ExampleFile(_ImportPage, View):
    """A CSV to start from: every field of the kind as a column, and one example row."""

    def get(self, request, kind):
        if kind not in FIELDS:
            raise Http404
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([item.name for item in FIELDS[kind]])
        writer.writerow([EXAMPLES[kind].get(item.name, "") for item in FIELDS[kind]])
        response = HttpResponse(out.getvalue().encode("utf-8-sig"),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="example-{kind}.csv"'
        return response


urlpatterns = [
    path("imports/", ImportList.as_view(), name="list"),
    path("imports/<uuid:pk>/", ImportDetail.as_view(), name="detail"),
    path("imports/<uuid:pk>/commit/", ImportCommit.as_view(), name="commit"),
    path("imports/<uuid:pk>/discard/", ImportDiscard.as_view(), name="discard"),
    path("imports/example-<slug:kind>.csv", ExampleFile.as_view(), name="example"),
]
app_name = "imports"

