"""Forms of the organisation pages: its settings, members and sharing groups. They only take
input; the services (`cases.services.membership_*`, `sharing_group_*`, `organisation_*`)
decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Organisation


class MemberAddForm(forms.Form):
    # Named `user` as in the service, so that its errors land next to this field.
    user = forms.CharField(label=_("Username"), max_length=150,
                           help_text=_("The person must already have an account."))
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles


class MemberEditForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, roles, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles


class OrganisationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.country_id})"


class SharingGroupForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=2000, required=False,
                                  widget=forms.Textarea)
    members = OrganisationChoice(
        label=_("Member organisations"), required=False, queryset=Organisation.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Your organisation is always a member of its own groups."),
    )

    def __init__(self, *args, owner: Organisation | None, versioned: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # The directory of organisations is open to every member; the owner is implied.
        others = Organisation.objects.order_by("name")
        if owner is not None:
            others = others.exclude(pk=owner.pk)
        self.fields["members"].queryset = others
        if versioned:
            self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class OrganisationSettingsForm(forms.Form):
    share_without_consent = forms.ChoiceField(
        label=_("Sharing a case or finding whose subject withheld consent to share"),
        choices=Organisation.ShareWithoutConsent.choices, widget=forms.RadioSelect,
        help_text=_("Beyond your organisation: with a reason, which the audit log keeps, or "
                    "never."),
    )
