"""Pages of API tokens: one's own (list, make, revoke) and, for an organisation's admins, those
of its members (list, revoke; never a secret).

Making a token needs a session that passed a second factor: a token must not be a way round
it. The secret is shown on the answer to the form that made the token, and kept nowhere else.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from cases import policy
from cases.models import Organisation
from cases.views.base import MemberPage, apply_service_errors, safe_next

from . import tokens
from .forms_tokens import TokenCreateForm
from .models import ApiToken


def may_make_tokens(request) -> bool:
    """A token is made in a session verified by a second factor, by a member of an
    organisation (the API refuses tokens of anyone else)."""
    return request.user.is_verified() and bool(policy.roles(request.user))


class TokenList(MemberPage, TemplateView):
    """The signed-in user's tokens, and the form that makes one."""

    template_name = "accounts/tokens.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.setdefault("form", TokenCreateForm() if may_make_tokens(self.request) else None)
        context.update(
            tokens=ApiToken.objects.filter(user_id=user.pk),
            verified=user.is_verified(),
            member=bool(policy.roles(user)),
            managed=Organisation.objects.filter(pk__in=tokens.managed_organisations(user))
            .order_by("name"),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not may_make_tokens(request):
            # The page says why, and where to set up a second factor.
            return self.render_to_response(self.get_context_data(), status=403)
        form = TokenCreateForm(request.POST)
        if form.is_valid():
            try:
                token, secret = tokens.token_create(
                    actor=request.user, user=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                # Shown on this answer only: never in the session or a message.
                response = self.render_to_response(self.get_context_data(
                    form=TokenCreateForm(), created=token, secret=secret))
                response["Cache-Control"] = "no-store"
                return response
        return self.render_to_response(self.get_context_data(form=form), status=400)


class OrganisationTokens(MemberPage, TemplateView):
    """The tokens of an organisation's members, for its admins; for anyone else a 404."""

    template_name = "accounts/tokens_organisation.html"

    def organisation(self) -> Organisation:
        organisation = get_object_or_404(Organisation, slug=self.kwargs["slug"])
        if organisation.pk not in tokens.managed_organisations(self.request.user):
            raise Http404
        return organisation

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        organisation = self.organisation()
        context.update(organisation=organisation,
                       tokens=tokens.of_organisation(organisation).order_by("user__username",
                                                                            "-created"))
        return context


class TokenRevoke(MemberPage, TemplateView):
    """GET: confirm; POST: revoke. The owner's tokens, or its organisations' admins'."""

    template_name = "accounts/tokens_revoke.html"

    def token(self):
        return get_object_or_404(
            tokens.visible_to(self.request.user).select_related("user"), pk=self.kwargs["pk"]
        )

    def back(self) -> str:
        return safe_next(self.request, self.request.POST.get("next")
                         or self.request.GET.get("next"), reverse("accounts:tokens"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(token=self.token(), next=self.back())
        return context

    def post(self, request, *args, **kwargs):
        token = self.token()
        tokens.token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token “%(name)s” of %(user)s was revoked.")
                         % {"name": token.name, "user": token.user.get_username()})
        return redirect(self.back())


urlpatterns = [
    path("tokens/", TokenList.as_view(), name="tokens"),
    path("tokens/<int:pk>/revoke/", TokenRevoke.as_view(), name="token_revoke"),
    path("tokens/organisations/<slug:slug>/", OrganisationTokens.as_view(),
         name="organisation_tokens"),
]
