"""Forms of the monitoring pages. They check the shape of what was typed; the rules (who, when,
how far a record may travel) stay in the services, whose errors land on these fields."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cases.forms import consent_reason_field
from cases.models.sharing import TLP, Distribution

from .cadence import CustodyPhase
from .evidence_files import ACCEPTED_TYPES, KEEP_LOCATION_HELP
from .models import CheckReport, Finding, FindingShare, Notification

DATETIME_INPUT = {"type": "datetime-local"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def datetime_field(label, **kwargs) -> forms.DateTimeField:
    """A moment typed in the browser's own date-and-time picker (or as ISO 8601 text)."""
    return forms.DateTimeField(
        label=label,
        widget=forms.DateTimeInput(attrs=DATETIME_INPUT, format=DATETIME_FORMAT),
        **kwargs,
    )


def text_area(label, max_length: int, **kwargs) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=False,
                           widget=forms.Textarea(attrs={"rows": 3}), **kwargs)


def with_blank(choices, label="—") -> list:
    return [("", label), *choices]


# --- follow-ups ------------------------------------------------------------------------------


class FollowUpEditForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.none(), required=False,
        empty_label=_("Nobody yet"), to_field_name="username",
    )
    window_opens_at = datetime_field(_("Window opens"))
    due_at = datetime_field(_("Due"))
    note = text_area(_("Note"), 5000)
    cancel = forms.BooleanField(
        label=_("Cancel this follow-up"), required=False,
        help_text=_("A cancelled regular check is replaced by the next one on the cadence."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)

    def __init__(self, *args, colleagues=None, **kwargs):
        super().__init__(*args, **kwargs)
        if colleagues is not None:
            self.fields["assignee"].queryset = colleagues

    def clean(self):
        data = super().clean()
        opens, due = data.get("window_opens_at"), data.get("due_at")
        if opens and due and opens > due:
            self.add_error("window_opens_at", _("The window opens before the due date."))
        return data


# --- the check report ------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input: a list of uploaded files, perhaps empty."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        single = super().clean
        return [single(item, initial) for item in (data if isinstance(data, list) else [data])]


NULL_BOOLEAN = forms.NullBooleanSelect


class CheckReportForm(forms.Form):
    """The report of a completed check, with one finding row per assurance of the case (see
    `FindingRowForm`) and its evidence files. Valid only when the report and every row are."""

    checked_at = datetime_field(_("Checked at"),
                                help_text=_("When the visit, call or attendance took place."))
    access = forms.ChoiceField(label=_("Access"), choices=CheckReport.Access.choices)
    access_delay_hours = forms.IntegerField(
        label=_("Access delayed by (hours)"), required=False, min_value=0, max_value=100000,
        help_text=_("Only when access was delayed."),
    )
    refusal_reason = text_area(_("Reason given for a refusal"), 5000)
    privacy = forms.ChoiceField(label=_("Private meeting"), choices=CheckReport.Privacy.choices,
                                initial=CheckReport.Privacy.NOT_APPLICABLE)
    visitors = forms.CharField(label=_("Who visited"), max_length=500, required=False)
    interpreter_independent = forms.NullBooleanField(
        label=_("Interpreter independent"), required=False, widget=NULL_BOOLEAN)
    doctor_present = forms.NullBooleanField(label=_("Doctor present"), required=False,
                                            widget=NULL_BOOLEAN)
    custody_phase = forms.ChoiceField(label=_("Custody phase observed"), required=False,
                                      choices=with_blank(CustodyPhase.choices))
    facility = forms.CharField(label=_("Facility"), max_length=300, required=False)
    condition = text_area(_("Condition of the person"), 10000)
    allegations = text_area(_("Allegations"), 10000)
    legal_status = text_area(_("Legal status"), 5000)
    family_contact = text_area(_("Family contact"), 5000)
    trial_observations = text_area(_("Trial observations"), 20000)
    narrative = text_area(_("Narrative"), 50000)
    evidence = MultipleFileField(
        label=_("Evidence files"), required=False,
        help_text=format_lazy("{} {} {}", _("One or more files. Accepted:"), ACCEPTED_TYPES,
                              _("After an error, choose the files again.")),
    )
    keep_location = forms.BooleanField(
        label=_("Keep the location recorded in images"), required=False,
        help_text=KEEP_LOCATION_HELP,
    )

    REPORT_FIELDS = (
        "checked_at", "access", "access_delay_hours", "refusal_reason", "privacy", "visitors",
        "interpreter_independent", "doctor_present", "custody_phase", "facility", "condition",
        "allegations", "legal_status", "family_contact", "trial_observations", "narrative",
    )

    def __init__(self, data=None, files=None, *, assurances=None, **kwargs):
        """`assurances`: the case's assurances, as the policy's restricted queryset."""
        super().__init__(data, files, **kwargs)
        self.assurances = list(assurances) if assurances is not None else []
        self.rows = [
            FindingRowForm(data, prefix=f"finding-{i}", assurances=assurances,
                           initial={"assurance": assurance.pk})
            for i, assurance in enumerate(self.assurances)
        ]

    def is_valid(self) -> bool:
        valid = super().is_valid()
        # Validate every row, even after a first invalid one: all errors show at once.
        rows_valid = [row.is_valid() for row in self.rows]
        return valid and all(rows_valid) and self._one_finding_per_assurance()

    def _one_finding_per_assurance(self) -> bool:
        seen, ok = set(), True
        for row in self.rows:
            assurance = row.cleaned_data.get("assurance")
            if assurance is not None and assurance.pk in seen:
                row.add_error("assurance", _("One finding per assurance per report."))
                ok = False
            elif assurance is not None:
                seen.add(assurance.pk)
        return ok

    def report_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.REPORT_FIELDS}

    def findings(self) -> list[dict]:
        """The rows that hold a finding (an assurance may be left without one)."""
        return [row.finding() for row in self.rows if row.cleaned_data.get("outcome")]

    @property
    def row_pairs(self):
        """(assurance, row) to render, in the order of the case's assurances."""
        by_pk = {a.pk: a for a in self.assurances}
        return [(by_pk.get(row.initial["assurance"]), row) for row in self.rows]


class FindingRowForm(forms.Form):
    """The verdict of this check on one assurance, or none (left blank)."""

    assurance = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False,
        choices=with_blank(Finding.Outcome.choices, _("No finding from this check")),
        help_text=_("Left blank, the assurance stays unverified by this check."),
    )
    severity = forms.ChoiceField(label=_("Severity"), required=False,
                                 choices=with_blank(Finding.Severity.choices))
    confidence = forms.ChoiceField(label=_("Confidence"), choices=Finding.Confidence.choices,
                                   initial=Finding.Confidence.MEDIUM)
    evidence_summary = text_area(_("Evidence summary"), 20000)

    def __init__(self, *args, assurances=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the assurances of this case: another case's is refused like an unknown one.
        self.fields["assurance"].queryset = assurances

    def clean(self):
        data = super().clean()
        if data.get("outcome") and not data.get("severity"):
            self.add_error("severity", _("Choose the severity of this finding."))
        return data

    def finding(self) -> dict:
        data = self.cleaned_data
        return {"assurance": data["assurance"], "outcome": data["outcome"],
                "severity": data["severity"], "confidence": data["confidence"],
                "evidence_summary": data["evidence_summary"]}


# --- sharing ---------------------------------------------------------------------------------


class FindingShareForm(forms.Form):
    distribution = forms.ChoiceField(
        label=_("Distribution"), choices=Distribution.choices,
        help_text=_("At most what the label allows, and never wider than the case."),
    )
    sharing_group = forms.ModelChoiceField(label=_("Sharing group"), queryset=None,
                                           required=False,
                                           help_text=_("Only with the distribution "
                                                       "'Sharing group'."))
    tlp = forms.ChoiceField(label=_("TLP label"), choices=TLP.choices)
    summary_shareable = forms.BooleanField(
        label=_("Recipients may read the evidence summary"), required=False)
    consent_override_reason = consent_reason_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sharing_group"].queryset = groups


class ReshareForm(forms.Form):
    distribution = forms.ChoiceField(
        label=_("Pass it on to"),
        choices=[(value, label) for value, label in FindingShare._meta.get_field(
            "distribution").choices],
    )
    sharing_group = forms.ModelChoiceField(
        label=_("Sharing group"), queryset=None, required=False,
        help_text=_("One of your organisation's groups, for the distribution 'Sharing group'."),
    )

    def __init__(self, *args, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sharing_group"].queryset = groups


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), max_length=10000,
                           widget=forms.Textarea(attrs={"rows": 3}))


class InboxForm(forms.Form):
    since = forms.DateField(label=_("Shared since"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class NotificationPreferencesForm(forms.Form):
    """One box per kind of alert: ticked, it also comes by e-mail."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in Notification.Kind:
            self.fields[kind.value] = forms.BooleanField(label=kind.label, required=False)

    def preferences(self) -> list[dict]:
        return [{"kind": kind, "email": self.cleaned_data[kind]}
                for kind in Notification.Kind.values]
