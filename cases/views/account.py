"""Signing in and out, passwords, and the organisation a member of several acts for."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views import View

from ..forms_account import PasswordResetRequestForm
from .base import SESSION_KEY, MemberPage, memberships, safe_next


class SwitchOrganisation(MemberPage, View):
    """POST: act for another of the user's organisations."""

    http_method_names = ["post"]

    def post(self, request):
        chosen = request.POST.get("organisation", "")
        for org, _role in memberships(request):
            if org.slug == chosen:
                request.session[SESSION_KEY] = org.pk
                messages.success(request, _("You now act for %(name)s.") % {"name": org.name})
                break
        else:
            messages.error(request, _("You are not a member of that organisation."))
        return redirect(safe_next(request, request.POST.get("next")))


class PasswordReset(auth_views.PasswordResetView):
    """Django's reset request, limited per e-mail and per client address (cases/signin.py)."""

    form_class = PasswordResetRequestForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}
