"""Signing in and out, passwords, the organisation a member of several acts for, and the
invitations to join another."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from .. import invitations
from ..forms_account import PasswordResetRequestForm
from ..models import Invitation
from .base import SESSION_KEY, ActionPage, MemberPage, memberships, safe_next, visible_or_404


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


class InvitationList(MemberPage, TemplateView):
    """The invitations waiting for the signed-in user's answer."""

    template_name = "cases/invitations.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["invitations"] = invitations.pending_for(self.request.user)
        return context


class InvitationAnswer(ActionPage):
    """POST: accept or decline one of one's own invitations."""

    accept = True

    def act(self, request, *args, **kwargs) -> str:
        invitation = visible_or_404(request, Invitation.objects.select_related("organisation"),
                                    pk=kwargs["pk"], user_id=request.user.pk)
        if self.accept:
            invitations.invitation_accept(actor=request.user, invitation=invitation)
            messages.success(request, _("You are now a member of %(name)s.")
                             % {"name": invitation.organisation.name})
        else:
            invitations.invitation_decline(actor=request.user, invitation=invitation)
            messages.success(request, gettext_lazy("You declined the invitation."))
        return reverse("cases:invitations")


urlpatterns = [
    path("organisation/switch/", SwitchOrganisation.as_view(), name="switch_organisation"),
    path("invitations/", InvitationList.as_view(), name="invitations"),
    path("invitations/<int:pk>/accept/", InvitationAnswer.as_view(), name="invitation_accept"),
    path("invitations/<int:pk>/decline/", InvitationAnswer.as_view(accept=False),
         name="invitation_decline"),
]
