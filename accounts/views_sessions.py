"""One's own sessions, ended one by one; an org admin's reset of a member's factors."""

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views import View

from cases import policy
from cases.models import Membership
from cases.policy import Action, Resource

from . import factors, sessions
from .models import UserSession


class SessionList(LoginRequiredMixin, View):
    def get(self, request):
        return render(request, "accounts/sessions.html", {
            "sessions": UserSession.objects.filter(user=request.user),
            "current": request.session.session_key,
        })


class SessionEnd(LoginRequiredMixin, View):
    """POST: end one of one's sessions; ending the current one signs out."""

    http_method_names = ["post"]

    def post(self, request, pk):
        session = get_object_or_404(UserSession, pk=pk, user=request.user)
        current = session.session_key == request.session.session_key
        sessions.end_session(actor=request.user, session=session)
        if current:
            logout(request)
            return redirect("login")
        messages.success(request, _("The session is ended."))
        return redirect("accounts:sessions")


class KeepAlive(LoginRequiredMixin, View):
    """POST: the person is still here (the idle clock starts again, in the middleware)."""

    http_method_names = ["post"]

    def post(self, request):
        return HttpResponse(status=204)


class MemberFactorsReset(LoginRequiredMixin, View):
    """An org admin removes a member's factors, after a confirmation page."""

    def membership(self, request, pk) -> Membership:
        membership = get_object_or_404(
            policy.visible(request.user, Membership).select_related("user", "organisation"),
            pk=pk)
        if not policy.has_right(request.user, membership.organisation_id, Resource.MEMBERSHIP,
                                Action.MANAGE_MEMBERS):
            raise Http404
        return membership

    def get(self, request, pk):
        return render(request, "accounts/factors_reset.html",
                      {"membership": self.membership(request, pk)})

    def post(self, request, pk):
        membership = self.membership(request, pk)
        factors.factors_reset(actor=request.user, membership=membership)
        messages.success(request, _(
            "The factors of %(member)s are removed: they set up new ones at their next "
            "sign-in.") % {"member": membership.user.get_username()})
        return redirect("cases:member_list")


urlpatterns = [
    path("sessions/", SessionList.as_view(), name="sessions"),
    path("sessions/<int:pk>/end/", SessionEnd.as_view(), name="session_end"),
    path("sessions/keep-alive/", KeepAlive.as_view(), name="keep_alive"),
    path("members/<int:pk>/reset-factors/", MemberFactorsReset.as_view(),
         name="member_factors_reset"),
]
