"""What a signed-in session may do: nothing before its second factor, nothing once idle or old.

Both run after Django's authentication and django-otp's OTPMiddleware, for every request, so no
page or API call can forget them. And the language a signed-in person chose, for every page.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from . import mfa, preferences, sessions

# Pages an unverified session may open, by the step it has to take first.
OPEN_TO = {
    mfa.VERIFY: {"accounts:verify", "otp_webauthn:credential-authentication-begin",
                 "otp_webauthn:credential-authentication-complete"},
    mfa.ENROL: {"accounts:two_factor", "accounts:totp_add", "accounts:recovery_codes",
                "otp_webauthn:credential-registration-begin",
                "otp_webauthn:credential-registration-complete"},
}
# The calendar feed reads no session: its secret address is its credential.
ALWAYS_OPEN = {"logout", "set_language", "accounts:language_switch",
               "otp_webauthn:js-i18n-catalog", "health", "monitoring:calendar_feed"}
STEP_PAGES = {mfa.VERIFY: "accounts:verify", mfa.ENROL: "accounts:two_factor"}


def _wants_json(request) -> bool:
    return request.path_info.startswith("/api/") or "json" in request.headers.get("Accept", "")


class SessionLimitsMiddleware:
    """A session idle for SESSION_IDLE_SECONDS, or older than SESSION_ABSOLUTE_SECONDS, ends."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and hasattr(request, "session"):
            now = timezone.now()
            if sessions.expired(request, now):
                # Off the list too: logout's signal (accounts.signals).
                logout(request)
                if _wants_json(request):
                    return JsonResponse({"detail": _("Your session has ended.")}, status=401)
                messages.info(request, _("Your session ended: sign in again."))
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('login')}?{query}")
            sessions.seen(request, now)
        return self.get_response(request)


class SecondFactorMiddleware:
    """A signed-in session that has not passed its second factor opens only the page of that
    step (verify, or set one up when two factors are required and the user has none)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        name = request.resolver_match.view_name
        if name in ALWAYS_OPEN:
            return None
        step = mfa.pending_step(user)
        if step is None or name in OPEN_TO[step]:
            return None
        if _wants_json(request):
            return JsonResponse({"detail": _("Sign in with your second factor first.")},
                                status=403)
        target = reverse(STEP_PAGES[step])
        return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class PreferredLanguageMiddleware:
    """A signed-in person's chosen language (accounts.preferences) over the browser's, on the
    pages of any device. After LocaleMiddleware, which chose from the request, and after the
    authentication; LocaleMiddleware's answer then says the language chosen here in
    Content-Language. The API answers in the request's language, as before."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = ""
        if not request.path_info.startswith("/api/"):
            chosen = preferences.language_of(request.user)
        if chosen and chosen != translation.get_language():
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if chosen:
            # The same address answers in another language for another person.
            patch_vary_headers(response, ("Cookie",))
        return response
