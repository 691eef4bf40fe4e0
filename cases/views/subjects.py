"""Pages of subjects: the person's page, the forms that create and edit it, and the
suggestions of the case form. Identifiers appear only to the owner's roles that read them, and
each display of them is audited."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from .. import policy, services
from ..filters import SubjectFilter
from ..forms import SubjectForm
from ..models import Case, Subject
from .base import MemberPage, acting_organisation, memberships, visible, visible_or_404
from .common import (
    NewRecordPage,
    RecordFormPage,
    require_right,
    show_identifiers,
    split_row_errors,
)

R, A = policy.Resource, policy.Action


class SubjectCreate(NewRecordPage):
    form_class = SubjectForm
    resource = R.SUBJECT
    title = gettext_lazy("New subject")
    submit_label = gettext_lazy("Create the subject")

    def perform(self, form):
        try:
            subject = services.subject_create(
                actor=self.request.user, organisation=self.organisation,
                nationalities=form.rows.values(), **form.service_fields())
        except ValidationError as error:
            raise split_row_errors(form, error, "nationalities") from None
        return reverse("cases:subject_detail", kwargs={"pk": subject.pk})


class SubjectEdit(RecordFormPage):
    form_class = SubjectForm
    template_name = "cases/edit_form.html"
    submit_label = gettext_lazy("Save the subject")

    def prepare(self, request):
        self.subject = visible_or_404(request, Subject, pk=self.kwargs["pk"])
        require_right(request, self.subject.owner_id, R.SUBJECT, A.CHANGE)
        require_right(request, self.subject.owner_id, R.SUBJECT, A.VIEW_IDENTIFIERS)

    def get(self, request, *args, **kwargs):
        # The form shows the identifiers it edits.
        services.record_personal_data_views(actor=request.user, subjects=[self.subject])
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Edit subject %(reference)s") % {
            "reference": self.subject.reference})
        return super().get_context_data(**kwargs)

    def get_form_kwargs(self):
        return {"instance": self.subject}

    def cancel_url(self):
        return reverse("cases:subject_detail", kwargs={"pk": self.subject.pk})

    def perform(self, form):
        extra = {}
        nationalities = form.rows.values()
        if nationalities != form.rows_initial():
            extra["nationalities"] = nationalities
        try:
            services.subject_update(actor=self.request.user, subject=self.subject,
                                    version=form.cleaned_data["version"], **extra,
                                    **form.service_fields())
        except ValidationError as error:
            raise split_row_errors(form, error, "nationalities") from None
        return self.cancel_url()

    def conflict(self, form):
        return self.stale_fields(form, self.subject)


class SubjectOptions(MemberPage, TemplateView):
    """Suggestions for the subject field of the case form: at most `SHOWN` subjects of one of
    the user's organisations whose reference, or (where the role may see identifiers) name,
    contains what was typed. Names shown are personal-data views, audited as such."""

    template_name = "cases/includes/subject_options.html"
    SHOWN = 20

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        typed = (request.GET.get("subject") or "").strip()[:200]
        organisation = self.organisation()
        subjects = []
        # The API's search of subjects: references, and names only where the role may see them.
        search = SubjectFilter({"q": typed}, request=request,
                               queryset=visible(request, Subject).filter(owner=organisation))
        if organisation is not None and len(typed) >= 2 and search.is_valid():
            subjects = list(search.qs.order_by("reference")[:self.SHOWN])
            names = policy.has_right(request.user, organisation.pk, R.SUBJECT,
                                     A.VIEW_IDENTIFIERS)
            if names and subjects:
                services.record_personal_data_views(actor=request.user, subjects=subjects)
            context["names"] = names
        context["subjects"] = subjects
        return context

    def organisation(self):
        """The organisation named by slug, if the user is a member; else the acting one."""
        slug = self.request.GET.get("organisation")
        for org, _role in memberships(self.request):
            if org.slug == slug:
                return org
        return acting_organisation(self.request)


class SubjectDetail(MemberPage, TemplateView):
    template_name = "cases/subject_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        request = self.request
        subject = visible_or_404(request, Subject, pk=self.kwargs["pk"])
        context.update(
            subject=subject,
            identifiers=show_identifiers(request, subject),
            nationalities=list(subject.nationalities.select_related("country")),
            cases=list(visible(request, Case).filter(subject=subject)
                       .select_related("requesting_state", "requested_state", "owner")
                       .order_by("reference")),
            can_edit=policy.has_right(request.user, subject.owner_id, R.SUBJECT, A.CHANGE)
            and subject.erased_at is None,
            can_erase=policy.has_right(request.user, subject.owner_id, R.SUBJECT, A.ERASE)
            and subject.erased_at is None,
            # The case form records for the acting organisation, so only its subjects.
            can_create_case=getattr(acting_organisation(request), "pk", None) == subject.owner_id
            and policy.has_right(request.user, subject.owner_id, R.CASE, A.CREATE),
        )
        return context


class ErasureForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Why"), choices=Subject.ErasureReason.choices)
    understood = forms.BooleanField(label=gettext_lazy(
        "I understand that the name, other names, date of birth, contacts and notes of this "
        "person, and the free text and evidence files of its cases, can never be read again, "
        "by anyone."))


class SubjectErase(RecordFormPage):
    """An org admin erases a subject's identifiers for good; the record stays."""

    form_class = ErasureForm
    submit_label = gettext_lazy("Erase the identifiers")

    def prepare(self, request):
        self.subject = visible_or_404(request, Subject, pk=self.kwargs["pk"])
        require_right(request, self.subject.owner_id, R.SUBJECT, A.ERASE)

    def get_context_data(self, **kwargs):
        kwargs.setdefault("title", _("Erase the identifiers of %(reference)s") % {
            "reference": self.subject.reference})
        return super().get_context_data(**kwargs)

    def cancel_url(self):
        return reverse("cases:subject_detail", kwargs={"pk": self.subject.pk})

    def perform(self, form):
        services.subject_erase(actor=self.request.user, subject=self.subject,
                               reason=form.cleaned_data["reason"])
        messages.success(self.request, _("The identifiers of %(reference)s were erased.") % {
            "reference": self.subject.reference})
        return self.cancel_url()


urlpatterns = [
    path("subjects/new/", SubjectCreate.as_view(), name="subject_create"),
    path("subjects/options/", SubjectOptions.as_view(), name="subject_options"),
    path("subjects/<uuid:pk>/", SubjectDetail.as_view(), name="subject_detail"),
    path("subjects/<uuid:pk>/edit/", SubjectEdit.as_view(), name="subject_edit"),
    path("subjects/<uuid:pk>/erase/", SubjectErase.as_view(), name="subject_erase"),
]
