"""Sign-in and password reset forms: Django's own, with the lockout's refusals explained."""

import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils.translation import ngettext

from . import signin


def _minutes(wait: int) -> int:
    return max(1, math.ceil(wait / 60))


class LockoutMessage:
    """Says why a locked sign-in failed; the same whether or not the account exists (unknown
    names lock out too)."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            wait = signin.refused_for(self.request)
            if not wait:
                raise
            minutes = _minutes(wait)
            raise forms.ValidationError(
                ngettext("Too many failed attempts to sign in. Try again in %(minutes)d minute.",
                         "Too many failed attempts to sign in. Try again in %(minutes)d minutes.",
                         minutes),
                code="locked_out", params={"minutes": minutes},
            ) from None


class SignInForm(LockoutMessage, AuthenticationForm):
    pass


class AdminSignInForm(LockoutMessage, AdminAuthenticationForm):
    pass


class PasswordResetRequestForm(PasswordResetForm):
    """Each request sends a mail: limited per e-mail address and per client address."""

    def __init__(self, *args, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request

    def clean_email(self):
        email = self.cleaned_data["email"]
        wait = signin.password_reset_wait(request=self.request, email=email)
        if wait:
            minutes = _minutes(wait)
            raise forms.ValidationError(
                ngettext("Too many requests to reset a password. Try again in %(minutes)d minute.",
                         "Too many requests to reset a password. Try again in %(minutes)d "
                         "minutes.", minutes),
                code="locked_out", params={"minutes": minutes},
            )
        return email
