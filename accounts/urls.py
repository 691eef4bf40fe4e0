"""Pages of one's own sign-in: second factors and sessions (namespace `accounts`), and
django-otp-webauthn's endpoints (namespace `otp_webauthn`, where its scripts look)."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import views, views_sessions

app_name = "accounts"

urlpatterns = [*views.urlpatterns, *views_sessions.urlpatterns]

webauthn = [
    *views.webauthn_urlpatterns,
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
         name="js-i18n-catalog"),
]
