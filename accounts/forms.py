from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A code from an authenticator app, or one of the recovery codes."""

    code = forms.CharField(
        label=_("Code"), max_length=32, strip=True,
        help_text=_("The six digits your authenticator app shows, or one of your recovery "
                    "codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True,
                                      "spellcheck": "false", "autocapitalize": "off"}),
    )


class AppSetupForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=64, required=False,
        help_text=_("To tell your apps apart, e.g. “phone”."),
    )
    code = forms.CharField(
        label=_("Code from the app"), max_length=12, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "spellcheck": "false"}),
    )


class LanguageForm(forms.Form):
    """One's language, for the pages on any device, the e-mails and the exports."""

    language = forms.ChoiceField(
        label=_("Language"), required=False,
        help_text=_("The pages, the notifications sent to you by e-mail and your exports are "
                    "written in it. Without a choice the pages follow your browser and the "
                    "e-mails are in English."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("As my browser asks")),
                                           *settings.LANGUAGES]
