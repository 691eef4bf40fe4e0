"""The form that makes an API token. It only takes input; accounts.tokens.token_create decides."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import ApiToken
from .tokens import DEFAULT_DAYS, MAX_DAYS


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What the token is for, e.g. the script that uses it."))
    scope = forms.ChoiceField(
        label=_("Scope"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ_ONLY,
        help_text=_("A read-only token is refused every change."),
    )
    expires_in_days = forms.IntegerField(
        label=_("Expires in (days)"), min_value=1, max_value=MAX_DAYS, initial=DEFAULT_DAYS,
        help_text=format_lazy(_("From 1 to {days} days."), days=MAX_DAYS),
    )
