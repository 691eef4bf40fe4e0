"""Pages of one's own sign-in: second factors, sessions and API tokens (namespace `accounts`), and
django-otp-webauthn's endpoints (namespace `otp_webauthn`, where its scripts look)."""

from django.conf import settings
from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views, views_organisation, views_preferences, views_sessions, views_tokens

app_name = "accounts"

urlpatterns = [*views.urlpatterns, *views_sessions.urlpatterns,
               *views_organisation.urlpatterns, *views_tokens.urlpatterns,
               *views_preferences.urlpatterns]

class PasskeyScriptCatalog(JavaScriptCatalog):
    """The passkey scripts' messages: the package's own catalogues, and ours for the languages
    it lacks (locale/*/LC_MESSAGES/djangojs.po)."""

    def get_paths(self, packages):
        return [*super().get_paths(packages), *map(str, settings.LOCALE_PATHS)]


webauthn = [
    *views.webauthn_urlpatterns,
    path("jsi18n/", PasskeyScriptCatalog.as_view(packages=["django_otp_webauthn"]),
         name="js-i18n-catalog"),
]
