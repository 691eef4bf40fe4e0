"""An org admin's choices: whether every member of the organisation signs in with two factors,
and how long the identifiers of subjects are kept after their cases closed."""

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from cases import policy, services
from cases.policy import Action, Resource
from cases.views.base import acting_organisation


class SecurityForm(forms.Form):
    mfa_required = forms.BooleanField(
        label=gettext_lazy("Every member signs in with two factors"), required=False,
        help_text=gettext_lazy("A member without a second factor is asked to set one up at the "
                               "next page they open."),
    )
    retention_years = forms.IntegerField(
        label=gettext_lazy("Erase identifiers this many years after a subject's last case "
                           "closed"), required=False, min_value=1, max_value=100,
        help_text=gettext_lazy("Empty: identifiers are kept until erased by hand. The org "
                               "admins are told 30 days before each erasure; the record stays."),
    )


class OrganisationSecurity(LoginRequiredMixin, View):
    def organisation(self, request):
        organisation = acting_organisation(request)
        if organisation is None or not policy.has_right(
                request.user, organisation.pk, Resource.MEMBERSHIP, Action.MANAGE_MEMBERS):
            raise Http404
        return organisation

    def get(self, request):
        organisation = self.organisation(request)
        form = SecurityForm(initial={"mfa_required": organisation.mfa_required,
                                     "retention_years": organisation.retention_years})
        return render(request, "accounts/organisation_security.html",
                      {"form": form, "organisation": organisation})

    def post(self, request):
        organisation = self.organisation(request)
        form = SecurityForm(request.POST)
        if not form.is_valid():
            return render(request, "accounts/organisation_security.html",
                          {"form": form, "organisation": organisation}, status=400)
        services.organisation_mfa_set(actor=request.user, organisation=organisation,
                                      required=form.cleaned_data["mfa_required"])
        services.organisation_retention_set(actor=request.user, organisation=organisation,
                                            years=form.cleaned_data["retention_years"])
        messages.success(request, _("Saved."))
        return redirect("accounts:organisation_security")


urlpatterns = [
    path("organisation/", OrganisationSecurity.as_view(), name="organisation_security"),
]
