"""The second factor at sign-in, and each person's own factors."""

import base64
import json

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex
from django_otp_webauthn import views as webauthn_views
from django_otp_webauthn.models import WebAuthnCredential

from cases.views.base import apply_service_errors, safe_next

from . import events, factors, mfa
from .forms import AppSetupForm, CodeForm

# The secret of an app being set up, until its first code confirms it.
SETUP_KEY = "accounts_totp_setup_key"


@method_decorator(never_cache, name="dispatch")
class Verify(LoginRequiredMixin, View):
    """After the password: a code from the app, a recovery code, or a passkey."""

    template_name = "accounts/verify.html"

    def context(self, request, form):
        user = request.user
        return {"form": form, "next": safe_next(request, request.GET.get("next")
                                                or request.POST.get("next")),
                "passkeys": WebAuthnCredential.objects.filter(user=user, confirmed=True).exists(),
                "apps": TOTPDevice.objects.filter(user=user, confirmed=True).exists()}

    def get(self, request):
        if request.user.is_verified():
            return redirect(safe_next(request, request.GET.get("next")))
        return render(request, self.template_name, self.context(request, CodeForm()))

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            device = mfa.verify_code(user=request.user, code=form.cleaned_data["code"],
                                     request=request)
            if device is not None:
                if isinstance(device, StaticDevice):
                    left = device.token_set.count()
                    messages.warning(request, _(
                        "You signed in with a recovery code; %(left)d are left. Make new ones "
                        "on your security page.") % {"left": left})
                return redirect(safe_next(request, request.POST.get("next")))
            form.add_error("code", _("That code is not right, or was used already."))
        return render(request, self.template_name, self.context(request, form), status=400)


@method_decorator(never_cache, name="dispatch")
class TwoFactor(LoginRequiredMixin, View):
    """One's own factors: apps, passkeys, recovery codes; set up and removed here."""

    def get(self, request):
        user = request.user
        owned = mfa.devices(user)
        recovery = next((d for d in owned if isinstance(d, StaticDevice)), None)
        return render(request, "accounts/two_factor.html", {
            "apps": [d for d in owned if isinstance(d, TOTPDevice)],
            "passkeys": [d for d in owned if isinstance(d, WebAuthnCredential)],
            "recovery_left": recovery.token_set.count() if recovery else 0,
            "must_enrol": not request.user.is_verified() and mfa.pending_step(user) == mfa.ENROL,
            "required": mfa.required_by_policy(user),
            "next": safe_next(request, request.GET.get("next"), default=""),
        })


@method_decorator(never_cache, name="dispatch")
class AppSetup(LoginRequiredMixin, View):
    """Add an authenticator app: scan the code (or type the key), then give its first code."""

    def page(self, request, form, status=200):
        key = request.session.get(SETUP_KEY)
        if not key:
            key = request.session[SETUP_KEY] = random_hex(20)
        device = TOTPDevice(user=request.user, key=key, name="")
        secret = base64.b32encode(device.bin_key).decode()
        qr = segno.make(device.config_url, error="m")
        return render(request, "accounts/app_setup.html", {
            "form": form, "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            "qr": qr.svg_inline(scale=4, title=_("Code to scan with your authenticator app")),
            "next": safe_next(request, request.GET.get("next") or request.POST.get("next"),
                              default=""),
        }, status=status)

    def get(self, request):
        request.session.pop(SETUP_KEY, None)
        return self.page(request, AppSetupForm())

    def post(self, request):
        form = AppSetupForm(request.POST)
        key = request.session.get(SETUP_KEY)
        if form.is_valid() and not key:
            form.add_error(None, _("Scan the code below first, then type the code the app "
                                   "shows."))
        if form.is_valid() and key:
            try:
                device = factors.totp_enrol(actor=request.user, name=form.cleaned_data["name"],
                                            key=key, code=form.cleaned_data["code"])
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                request.session.pop(SETUP_KEY, None)
                if not request.user.is_verified():
                    django_otp.login(request, device)
                messages.success(request, _("Your authenticator app is set up."))
                if not StaticDevice.objects.filter(user=request.user,
                                                   token_set__isnull=False).exists():
                    return show_recovery_codes(request, factors.recovery_codes_issue(
                        actor=request.user))
                return redirect(safe_next(request, request.POST.get("next"),
                                          default=reverse("accounts:two_factor")))
        return self.page(request, form, status=400)


def show_recovery_codes(request, codes: list[str]):
    return render(request, "accounts/recovery_codes.html", {
        "codes": codes, "next": safe_next(request, request.POST.get("next"),
                                          default=reverse("accounts:two_factor")),
    })


@method_decorator(never_cache, name="dispatch")
class RecoveryCodes(LoginRequiredMixin, View):
    """POST: a new set of recovery codes, shown once (the old ones stop working)."""

    http_method_names = ["post"]

    def post(self, request):
        if not mfa.has_factor(request.user):
            messages.error(request, _("Set up an authenticator app or a passkey first: "
                                      "recovery codes stand in for one."))
            return redirect("accounts:two_factor")
        return show_recovery_codes(request, factors.recovery_codes_issue(actor=request.user))


class FactorRemove(LoginRequiredMixin, View):
    """POST: remove one of one's own factors (named by django-otp's persistent id)."""

    http_method_names = ["post"]

    def post(self, request):
        # Looked up among one's own factors: the posted id names nothing else.
        named = request.POST.get("factor", "")
        device = next((d for d in mfa.devices(request.user) if d.persistent_id == named), None)
        if device is None:
            raise Http404
        try:
            factors.factor_remove(actor=request.user, device=device)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, _("The factor is removed."))
        return redirect("accounts:two_factor")


class PasskeyRegistrationComplete(webauthn_views.CompleteCredentialRegistrationView):
    """django-otp-webauthn's registration, with the new passkey in the audit log."""

    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            device = WebAuthnCredential.objects.get(pk=json.loads(response.content)["id"])
            factors.passkey_enrolled(actor=self.request.user, device=device)
        return response


class PasskeyAuthenticationComplete(webauthn_views.CompleteCredentialAuthenticationView):
    """django-otp-webauthn's second-factor check, each failure in the audit log."""

    def handle_exception(self, exc):
        if self.request.user.is_authenticated:
            events.record(actor=None, action=events.Action.MFA_FAILED, user=self.request.user,
                          detail={"factor": "passkey"})
        return super().handle_exception(exc)


urlpatterns = [
    path("verify/", Verify.as_view(), name="verify"),
    path("two-factor/", TwoFactor.as_view(), name="two_factor"),
    path("two-factor/app/", AppSetup.as_view(), name="totp_add"),
    path("two-factor/recovery-codes/", RecoveryCodes.as_view(), name="recovery_codes"),
    path("two-factor/remove/", FactorRemove.as_view(), name="factor_remove"),
]

# django-otp-webauthn's endpoints under its own namespace (its scripts look them up there),
# registration and authentication completed by the audited views above.
webauthn_urlpatterns = [
    path("registration/begin/", webauthn_views.BeginCredentialRegistrationView.as_view(),
         name="credential-registration-begin"),
    path("registration/complete/", PasskeyRegistrationComplete.as_view(),
         name="credential-registration-complete"),
    path("authentication/begin/", webauthn_views.BeginCredentialAuthenticationView.as_view(),
         name="credential-authentication-begin"),
    path("authentication/complete/", PasskeyAuthenticationComplete.as_view(),
         name="credential-authentication-complete"),
]
