"""Changing several cases of the list at once: assigning a caseworker, or changing the TLP
label and distribution.

All or nothing. Each selected case is read through the policy (one out of sight answers 404,
one the user's role may not change 403, and nothing changes); each change goes through
`services.case_update` at the version read inside the transaction, so each case gets its audit
event; if any case is refused, every change is rolled back and the form shows which case and
why.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import TemplateView

from .. import policy, services
from ..exceptions import Conflict
from ..models import Case, SharingGroup
from ..models.sharing import TLP, Distribution
from .base import MemberPage, acting_organisation, safe_next, visible, visible_or_404
from .common import require_right

R, A = policy.Resource, policy.Action
KEEP = [("", gettext_lazy("Keep as it is"))]


class CaseSelection(forms.Field):
    """Case ids sent by the list's check boxes, each once."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[uuid.UUID]:
        out = []
        for item in value or []:
            try:
                out.append(uuid.UUID(str(item)))
            except ValueError:
                raise ValidationError(_("The selection names no case of the list."),
                                      code="invalid") from None
        return list(dict.fromkeys(out))


class SelectionForm(forms.Form):
    """The cases ticked on the list, or every case of the page shown ("all on this page").
    Its fields carry the prefix `bulk`, apart from the list's filters of the same names."""

    prefix = "bulk"

    case = CaseSelection(required=False)
    all_on_page = forms.BooleanField(required=False, widget=forms.HiddenInput)
    page_case = CaseSelection(required=False)
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        selected = list(data.get("case") or [])
        if data.get("all_on_page"):
            selected = list(dict.fromkeys([*selected, *(data.get("page_case") or [])]))
        data["selected"] = selected
        refused = False
        for name in ("case", "page_case"):
            if name in self._errors:
                # Hidden fields: what is wrong with them goes on top of the form.
                self.add_error(None, list(self._errors.pop(name)))
                refused = True
        if not selected and not refused:
            raise ValidationError(_("Select at least one case."))
        return data


class BulkForm(SelectionForm):
    ASSIGN, SHARING = "assign", "sharing"

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=[
        (ASSIGN, gettext_lazy("Assign a caseworker")),
        (SHARING, gettext_lazy("Change the TLP label or distribution")),
    ])
    caseworker = forms.ModelChoiceField(label=gettext_lazy("Caseworker"), required=False,
                                        queryset=get_user_model().objects.none())
    tlp = forms.ChoiceField(label=gettext_lazy("TLP label"), required=False,
                            choices=KEEP + TLP.choices)
    distribution = forms.ChoiceField(label=gettext_lazy("Distribution"), required=False,
                                     choices=KEEP + Distribution.choices)
    sharing_group = forms.ModelChoiceField(label=gettext_lazy("Sharing group"), required=False,
                                           queryset=SharingGroup.objects.none())
    consent_override_reason = forms.CharField(
        label=gettext_lazy("Why share without the subject's consent"), required=False,
        max_length=1000,
        help_text=gettext_lazy("Only for a case whose subject withheld consent to share."))

    def __init__(self, *args, organisation=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organisation is not None:
            self.fields["caseworker"].queryset = get_user_model().objects.filter(
                memberships__organisation=organisation).order_by("username")
            self.fields["sharing_group"].queryset = SharingGroup.objects.filter(
                memberships__organisation=organisation).order_by("name")
        self.fields["caseworker"].label_from_instance = lambda user: user.username

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == self.ASSIGN and data.get("caseworker") is None:
            self.add_error("caseworker", _("Choose the caseworker to assign."))
        if action == self.SHARING and not (data.get("tlp") or data.get("distribution")):
            self.add_error("tlp", _("Choose a label, a distribution, or both."))
        return data

    def changes(self) -> dict:
        """What `case_update` is asked to change on each case."""
        data = self.cleaned_data
        if data["action"] == self.ASSIGN:
            return {"caseworker": data["caseworker"]}
        changes = {}
        if data.get("tlp"):
            changes["tlp"] = data["tlp"]
        if data.get("distribution"):
            changes["distribution"] = data["distribution"]
            changes["sharing_group"] = (data.get("sharing_group") if data["distribution"]
                                        == Distribution.SHARING_GROUP else None)
        return changes


class Refused(Exception):
    """Some case was refused: roll every change back."""


def selected_cases(request, ids: list[uuid.UUID]) -> tuple[list[Case], set[uuid.UUID]]:
    """The selected cases the user may see, read through the policy in one query, and the
    ids of those it may not (or that do not exist). A case the user's role may not change is a
    403."""
    cases = list(visible(request, Case).filter(pk__in=ids).select_related(
        "owner", "subject", "requesting_state", "requested_state", "legal_instrument",
        "sharing_group", "caseworker").order_by("reference"))
    missing = set(ids) - {case.pk for case in cases}
    if not missing:
        for case in cases:
            require_right(request, case.owner_id, R.CASE, A.CHANGE)
    return cases, missing


def refuse_any_out_of_sight(request, missing: set[uuid.UUID]) -> None:
    """A 404 for a selected case out of sight, audited as any other (outside a transaction
    that would take the audit event back with it)."""
    if missing:
        visible_or_404(request, Case, pk=min(missing))
        raise Http404


def apply_to_all(request, cases: list[Case], changes: dict, reason: str) -> list[str]:
    """Change every case, or none: the refusals, each naming its case."""
    refused = []
    extra = {"consent_override_reason": reason} if reason else {}
    try:
        with transaction.atomic():
            for case in cases:
                try:
                    services.case_update(actor=request.user, case=case, version=case.version,
                                         **extra, **changes)
                except ValidationError as error:
                    refused += [_("%(reference)s: %(reason)s") % {
                        "reference": case.reference, "reason": message}
                        for message in error.messages]
                except Conflict:
                    refused.append(_("%(reference)s: someone else changed it meanwhile; try "
                                     "again.") % {"reference": case.reference})
            if refused:
                raise Refused
    except Refused:
        return refused
    return []


class CaseBulkChange(MemberPage, TemplateView):
    """The list's "with the selected cases" form (POST only). A refusal shows the form again,
    with each refused case named (400)."""

    http_method_names = ["post"]
    template_name = "form.html"

    def post(self, request, *args, **kwargs):
        organisation = acting_organisation(request)
        form = BulkForm(request.POST, organisation=organisation)
        selection = SelectionForm(request.POST)
        if selection.is_valid():
            # A case out of sight (404) or not the user's to change (403) refuses the whole
            # request before anything else is said about it.
            refuse_any_out_of_sight(
                request, selected_cases(request, selection.cleaned_data["selected"])[1])
        if not form.is_valid():
            return self.refuse(form)
        refused = []
        with transaction.atomic():
            # The version each change is made at is the one read here, in the transaction.
            cases, missing = selected_cases(request, form.cleaned_data["selected"])
            if not missing:
                refused = apply_to_all(request, cases, form.changes(),
                                       form.cleaned_data["consent_override_reason"])
        refuse_any_out_of_sight(request, missing)
        if refused:
            for message in refused:
                form.add_error(None, message)
            return self.refuse(form)
        messages.success(request, ngettext("%(count)d case changed.", "%(count)d cases changed.",
                                           len(cases)) % {"count": len(cases)})
        return redirect(safe_next(request, form.cleaned_data.get("next"),
                                  reverse("cases:case_list")))

    def refuse(self, form):
        return self.render_to_response(self.get_context_data(
            form=form, title=_("Change the selected cases"),
            submit_label=_("Apply to the selected cases"),
            cancel_url=safe_next(self.request, form.data.get("next"),
                                 reverse("cases:case_list"))), status=400)


def bulk_form(request) -> BulkForm | None:
    """The list's form for the selected cases, where the user may change cases of the
    organisation it acts for."""
    organisation = acting_organisation(request)
    if organisation is None or not policy.has_right(request.user, organisation.pk, R.CASE,
                                                    A.CHANGE):
        return None
    return BulkForm(organisation=organisation)


urlpatterns = [
    path("cases/selected/", CaseBulkChange.as_view(), name="case_bulk_change"),
]
