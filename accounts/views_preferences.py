"""One's own language: chosen on the preferences page, or in the language menu of every page."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from cases.views.base import ServiceFormPage

from . import mfa, preferences
from .forms import LanguageForm


class Preferences(ServiceFormPage):
    """The language of one's pages, e-mails and exports."""

    form_class = LanguageForm
    title = gettext_lazy("Your language")
    submit_label = gettext_lazy("Save the language")

    def get_form_kwargs(self) -> dict:
        return {"initial": {"language": preferences.language_of(self.request.user)}}

    def perform(self, form):
        language = form.cleaned_data["language"]
        preferences.language_set(actor=self.request.user, language=language)
        if language:
            # The message in the language chosen, as the next page will be.
            translation.activate(language)
        messages.success(self.request, _("Your language was saved."))
        return reverse("accounts:preferences")


def _may_choose(request) -> bool:
    """A signed-in session past its second factor (or one that needs none) keeps the choice."""
    user = request.user
    return user.is_authenticated and (user.is_verified() or mfa.pending_step(user) is None)


@require_POST
def language_switch(request):
    """The language menu: Django's set_language (the cookie, and back to the page), and for a
    signed-in person their chosen language too, so that their other devices follow."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if (isinstance(response, HttpResponseRedirect) and _may_choose(request)
            and language in preferences.LANGUAGES):
        preferences.language_set(actor=request.user, language=language)
    return response


urlpatterns = [
    path("preferences/", Preferences.as_view(), name="preferences"),
    path("language/", language_switch, name="language_switch"),
]
