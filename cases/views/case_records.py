"""Pages of a case's assurances and proceedings: added, edited and deleted by the owner."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import policy, services
from ..forms import AssuranceForm, ProceedingForm
from ..models import Assurance, ProceedingEvent
from .base import MemberPage, visible_or_404
from .common import RecordFormPage, case_or_404, require_right

R, A = policy.Resource, policy.Action


class ChildCreate(RecordFormPage):
    """A new assurance or proceeding on a case the user sees and whose owner lets it add."""

    resource: policy.Resource
    service = None
    noun = ""

    def prepare(self, request):
        self.case = case_or_404(request, self.kwargs["pk"])
        require_right(request, self.case.owner_id, self.resource, A.CREATE)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("New %(noun)s on %(reference)s") % {
            "noun": self.noun, "reference": self.case.reference})
        return super().get_context_data(**kwargs)

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.case.pk})

    def perform(self, form):
        type(self).service(actor=self.request.user, case=self.case, **form.service_fields())
        return self.cancel_url()


class ChildEdit(RecordFormPage):
    model = None
    resource: policy.Resource
    service = None
    object_name = ""
    noun = ""

    def prepare(self, request):
        self.record = visible_or_404(request, self.model, pk=self.kwargs["pk"])
        require_right(request, self.record.case.owner_id, self.resource, A.CHANGE)

    def get_form_kwargs(self):
        return {"instance": self.record}

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit %(noun)s on %(reference)s") % {
            "noun": self.noun, "reference": self.record.case.reference})
        return super().get_context_data(**kwargs)

    def cancel_url(self):
        return reverse("cases:case_detail", kwargs={"pk": self.record.case_id})

    def perform(self, form):
        type(self).service(actor=self.request.user, **{self.object_name: self.record},
                           version=form.cleaned_data["version"], **form.service_fields())
        return self.cancel_url()

    def conflict(self, form):
        return self.stale_fields(form, self.record)


class ChildDelete(MemberPage, TemplateView):
    """GET: what will be deleted, and a button; POST: the service deletes it."""

    template_name = "cases/confirm_delete.html"
    model = None
    resource: policy.Resource
    service = None
    object_name = ""
    noun = ""

    def may(self, request) -> bool:
        self.record = visible_or_404(request, self.model, pk=self.kwargs["pk"])
        require_right(request, self.record.case.owner_id, self.resource, A.DELETE)
        return True

    def case_url(self) -> str:
        return reverse("cases:case_detail", kwargs={"pk": self.record.case_id})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(record=self.record, noun=self.noun, cancel_url=self.case_url(),
                       title=_("Delete this %(noun)s?") % {"noun": self.noun})
        return context

    def post(self, request, *args, **kwargs):
        try:
            type(self).service(actor=request.user, **{self.object_name: self.record})
        except ValidationError as error:
            return self.render_to_response(
                self.get_context_data(errors=error.messages), status=400)
        return redirect(self.case_url())


class AssuranceCreate(ChildCreate):
    form_class = AssuranceForm
    resource = R.ASSURANCE
    service = services.assurance_create
    noun = gettext_lazy("assurance")
    submit_label = gettext_lazy("Add the assurance")


class AssuranceEdit(ChildEdit):
    form_class = AssuranceForm
    model = Assurance
    resource = R.ASSURANCE
    service = services.assurance_update
    object_name = "assurance"
    noun = gettext_lazy("assurance")


class AssuranceDelete(ChildDelete):
    model = Assurance
    resource = R.ASSURANCE
    service = services.assurance_delete
    object_name = "assurance"
    noun = gettext_lazy("assurance")


class ProceedingCreate(ChildCreate):
    form_class = ProceedingForm
    resource = R.PROCEEDING
    service = services.proceeding_create
    noun = gettext_lazy("proceeding")
    submit_label = gettext_lazy("Add the proceeding")


class ProceedingEdit(ChildEdit):
    form_class = ProceedingForm
    model = ProceedingEvent
    resource = R.PROCEEDING
    service = services.proceeding_update
    object_name = "proceeding"
    noun = gettext_lazy("proceeding")


class ProceedingDelete(ChildDelete):
    model = ProceedingEvent
    resource = R.PROCEEDING
    service = services.proceeding_delete
    object_name = "proceeding"
    noun = gettext_lazy("proceeding")


urlpatterns = [
    path("cases/<uuid:pk>/assurances/new/", AssuranceCreate.as_view(),
         name="assurance_create"),
    path("cases/assurances/<uuid:pk>/edit/", AssuranceEdit.as_view(), name="assurance_edit"),
    path("cases/assurances/<uuid:pk>/delete/", AssuranceDelete.as_view(),
         name="assurance_delete"),
    path("cases/<uuid:pk>/proceedings/new/", ProceedingCreate.as_view(),
         name="proceeding_create"),
    path("cases/proceedings/<uuid:pk>/edit/", ProceedingEdit.as_view(),
         name="proceeding_edit"),
    path("cases/proceedings/<uuid:pk>/delete/", ProceedingDelete.as_view(),
         name="proceeding_delete"),
]
