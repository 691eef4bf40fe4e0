"""Forms of the case register pages.

They only shape and type what the user sent; the rules (TLP ceilings, date order, who may
write) are the services', whose errors the pages put next to these fields. Every choice of
another record is built from what the user may see or from its own organisation's records.
"""

from __future__ import annotations

import copy
from urllib.parse import urlencode

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxValueValidator
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import policy
from .models import (
    Assurance,
    Case,
    Country,
    LegalInstrument,
    Offence,
    Organisation,
    ProceedingEvent,
    SharingGroup,
    Subject,
)
from .models.cases import TRANSITIONS
from .selectors import offered_transitions
from .services.cases import CONSENT_REASON_MAX

User = get_user_model()
# The longest monitoring interval a form takes: ten years, far inside any integer column.
MAX_FREQUENCY_DAYS = 3650


class SubjectReferenceInput(forms.TextInput):
    """A subject typed by its pseudonymous reference. With JavaScript, the browser suggests
    matching subjects as one types (`options_url` answers a datalist's options); without, the
    reference alone is enough. An organisation's subjects are never all put in the page."""

    template_name = "widgets/subject_reference.html"

    def __init__(self, options_url: str, attrs=None):
        super().__init__({"autocomplete": "off", "spellcheck": "false", **(attrs or {})})
        self.options_url = options_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        options_id = f"{widget['attrs'].get('id', name)}_options"
        widget["options_id"] = options_id
        widget["attrs"].update({
            "list": options_id, "hx-get": self.options_url,
            "hx-trigger": "input changed delay:250ms", "hx-target": f"#{options_id}",
            "hx-swap": "innerHTML", "hx-sync": "this:replace",
        })
        return context


class DateInput(forms.DateInput):
    """The browser's date picker; the value always in ISO form, which it needs."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _date_widgets(*names: str) -> dict:
    return {name: DateInput() for name in names}


class ServiceForm:
    """Mixin: the service validates the record, not the model layer.

    A ModelForm would also run the model's own checks and constraints, repeating the service's
    rules with vaguer messages; the instance is only read for initial values. The hidden
    `version` has no place to show an error, so its errors go to the whole form.
    """

    fieldsets: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Cleaned fields that are the form's business, not the record's.
    not_for_service: tuple[str, ...] = ("version",)

    def _post_clean(self):
        for name, field in self.fields.items():
            if field.widget.is_hidden and name in self._errors:
                for message in self._errors.pop(name):
                    self.add_error(NON_FIELD_ERRORS, message)
                self.cleaned_data.pop(name, None)

    def service_fields(self) -> dict:
        """The record's own fields, as the service takes them."""
        return {name: value for name, value in self.cleaned_data.items()
                if name not in self.not_for_service}

    def grouped(self) -> list[tuple[str, list]]:
        """The visible fields under their headings, for templates that show fieldsets."""
        if not self.fieldsets:
            return [("", self.visible_fields())]
        return [(legend, [self[name] for name in names if name in self.fields])
                for legend, names in self.fieldsets]


def add_version(form, instance) -> None:
    """Edit forms carry the version the user loaded, so a stale save is refused."""
    form.fields["version"] = forms.IntegerField(
        min_value=1, max_value=2**31 - 1, widget=forms.HiddenInput,
        error_messages={"required": _("The form lacks the version you loaded: reload it.")},
    )
    form.initial.setdefault("version", instance.version)


# --- repeated rows (offences of a case, nationalities of a subject) -------------------------


class RowSet(forms.Form):
    """A few rows of the same fields, shown as fieldsets; empty rows are ignored.

    Simpler than a formset: no management form to forge or forget, so a plain POST works.
    """

    legend = ""
    row_fields: tuple[str, ...] = ()
    required_in_row: tuple[str, ...] = ()

    def __init__(self, data=None, *, rows: int, initial_rows=(), prefix: str):
        initial = {}
        for i, row in enumerate(initial_rows):
            initial.update({f"{i}-{name}": value for name, value in row.items()})
        super().__init__(data, initial=initial, prefix=prefix)
        self.initial_rows = [dict(row) for row in initial_rows]
        self.count = rows
        for i in range(rows):
            for name in self.row_fields:
                field = self.make_field(name)
                field.required = False
                field.label = _("%(field)s (row %(row)d)") % {"field": field.label, "row": i + 1}
                self.fields[f"{i}-{name}"] = field

    def make_field(self, name: str) -> forms.Field:
        raise NotImplementedError

    def _row(self, i: int) -> dict:
        return {name: self.cleaned_data.get(f"{i}-{name}") for name in self.row_fields}

    def clean(self):
        cleaned = super().clean()
        for i in range(self.count):
            row = self._row(i)
            if not any(v not in (None, "") for v in row.values()):
                continue
            for name in self.required_in_row:
                if row[name] in (None, "") and f"{i}-{name}" not in self._errors:
                    self.add_error(f"{i}-{name}", _("This field is required in a filled row."))
        return cleaned

    def values(self) -> list[dict]:
        """The filled rows, as the service takes them."""
        rows = [self._row(i) for i in range(self.count)]
        return [self.to_service(row) for row in rows
                if any(v not in (None, "") for v in row.values())]

    def to_service(self, row: dict) -> dict:
        return row

    def rows(self) -> list[list]:
        return [[self[f"{i}-{name}"] for name in self.row_fields] for i in range(self.count)]


class OffenceRows(RowSet):
    legend = _("Offences")
    row_fields = ("description", "category", "max_penalty")
    required_in_row = ("description", "category")

    def make_field(self, name):
        if name == "category":
            return forms.ChoiceField(label=_("Category"),
                                     choices=[("", "—"), *Offence.Category.choices])
        if name == "description":
            return forms.CharField(label=_("Description"), max_length=500)
        return forms.CharField(label=_("Maximum penalty"), max_length=200)

    def to_service(self, row):
        return {"description": row["description"], "category": row["category"],
                "max_penalty": row["max_penalty"] or ""}


class NationalityRows(RowSet):
    legend = _("Nationalities")
    row_fields = ("country", "acquired_on", "lost_on")
    required_in_row = ("country",)

    def make_field(self, name):
        if name == "country":
            return forms.ModelChoiceField(label=_("Country"), queryset=Country.objects.all(),
                                          empty_label="—")
        label = _("Acquired on") if name == "acquired_on" else _("Lost on")
        return forms.DateField(label=label, widget=DateInput())


def row_count(existing: int) -> int:
    """Three rows, or one more than the record already has, so nothing stored is dropped."""
    return max(3, existing + 1)


class WithRows:
    """Mixin of a form that also carries a RowSet (`self.rows`), valid only together."""

    rows: RowSet

    def is_valid(self):
        main = super().is_valid()
        return self.rows.is_valid() and main

    def rows_initial(self) -> list[dict]:
        """The rows the record had, in the form `RowSet.values()` gives."""
        return self.rows.initial_rows


# --- cases -----------------------------------------------------------------------------------


def _new_subject_fields() -> dict[str, forms.Field]:
    """A subject registered from inside the case form: what the person needs to be recorded."""
    return {
        "new_subject_full_name": forms.CharField(
            label=_("Full name"), max_length=300, required=False,
            help_text=_("Only for a person not registered yet; seen only inside your "
                        "organisation.")),
        "new_subject_date_of_birth": forms.DateField(
            label=_("Date of birth"), required=False, widget=DateInput()),
        "new_subject_consent_to_record": forms.BooleanField(
            label=_("The person consents to being recorded"), required=False),
        "new_subject_consent_to_share": forms.BooleanField(
            label=_("The person consents to their case being shared"), required=False),
    }


NEW_SUBJECT = "new_subject_"


def consent_reason_field() -> forms.CharField:
    """Why a record is shared beyond its organisation although its subject withheld consent:
    the service asks for it only then (`check_share_consent`)."""
    return forms.CharField(
        label=_("Why share without the subject's consent"), required=False,
        max_length=CONSENT_REASON_MAX, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only when the subject withheld consent to share: kept in the audit log. "
                    "Give no names or other identifiers."),
    )


class CaseForm(WithRows, ServiceForm, forms.ModelForm):
    """A case as the API's CaseSerializer takes it, for the organisation that owns it."""

    # The views hand the recipients and the status to the services by name.
    not_for_service = ("named_recipients", "version", "status")
    fieldsets = (
        (_("The case"), ("subject", "status", "requesting_state", "requested_state", "channel",
                         "caseworker")),
        (_("Legal basis"), ("legal_instrument", "legal_basis_note", "interpol_notice",
                            "interpol_reference")),
        (_("Dates"), ("request_date", "arrest_date", "decision_date", "surrender_date")),
        (_("Sharing"), ("tlp", "distribution", "sharing_group", "named_recipients",
                        "consent_override_reason")),
    )

    class Meta:
        model = Case
        fields = [
            "subject", "requesting_state", "requested_state", "channel", "legal_instrument",
            "legal_basis_note", "interpol_notice", "interpol_reference", "request_date",
            "arrest_date", "decision_date", "surrender_date", "tlp", "distribution",
            "sharing_group", "named_recipients", "caseworker",
        ]
        widgets = {
            **_date_widgets("request_date", "arrest_date", "decision_date", "surrender_date"),
            "named_recipients": forms.CheckboxSelectMultiple,
        }
        labels = {
            "requesting_state": _("Requesting state"), "requested_state": _("Requested state"),
            "channel": _("Channel"), "legal_instrument": _("Legal instrument"),
            "legal_basis_note": _("Legal basis note"), "interpol_notice": _("Interpol notice"),
            "interpol_reference": _("Interpol reference"), "request_date": _("Request date"),
            "arrest_date": _("Arrest date"), "decision_date": _("Decision date"),
            "surrender_date": _("Surrender date (day 0)"), "tlp": _("TLP label"),
            "distribution": _("Distribution"), "sharing_group": _("Sharing group"),
            "named_recipients": _("Named recipients"), "caseworker": _("Caseworker"),
        }
        help_texts = {
            "named_recipients": _("TLP:RED cases stay with these people of your organisation."),
            "distribution": _("How far the case is shared; the TLP label sets the ceiling."),
            "sharing_group": _("Required when the distribution is a sharing group."),
            "interpol_reference": _("Only with a notice: choose its type above."),
        }

    def __init__(self, data=None, files=None, *, user, organisation: Organisation,
                 instance: Case | None = None, initial: dict | None = None):
        self.editing = instance is not None
        super().__init__(data, files, instance=instance, initial=initial)
        self.fields["subject"] = forms.ModelChoiceField(
            label=_("Subject"),
            queryset=policy.restrict(Subject.objects.all(), user).filter(owner=organisation),
            to_field_name="reference",
            widget=SubjectReferenceInput(
                reverse("cases:subject_options") + "?" + urlencode(
                    {"organisation": organisation.slug})),
            error_messages={"invalid_choice": _(
                "No subject of your organisation has this reference.")},
            help_text=_("The pseudonymous reference of one of your organisation's subjects, "
                        "such as SUBJ-4K7Q2M. Type part of it, or whole words of the person's "
                        "name, for suggestions."),
        )
        self.fields["sharing_group"].queryset = policy.restrict(SharingGroup.objects.all(), user)
        self.fields["named_recipients"].queryset = User.objects.filter(
            memberships__organisation=organisation).order_by("username")
        self.fields["named_recipients"].label_from_instance = lambda u: u.get_username()
        self.fields["caseworker"].queryset = self.fields["named_recipients"].queryset
        self.fields["caseworker"].label_from_instance = lambda u: u.get_username()
        self.fields["caseworker"].help_text = _("Follow-ups of the case are assigned to them.")
        self.fields["legal_instrument"].queryset = LegalInstrument.objects.select_related(
            "party_a", "party_b").order_by("title")
        self.fields["consent_override_reason"] = consent_reason_field()
        self.not_for_service = (*self.not_for_service, "consent_override_reason")
        if self.editing:
            add_version(self, instance)
        else:
            self._add_new_subject()
            self.initial.setdefault("caseworker", user.pk)
            self.fields["status"] = forms.ChoiceField(
                label=_("Status"), initial=Case.Status.REQUEST_RECEIVED,
                choices=[(s, Case.Status(s).label) for s in
                         (Case.Status.REQUEST_RECEIVED, Case.Status.PROVISIONAL_ARREST)])
        self.order_fields([name for _legend, names in self.fieldsets for name in names])
        existing = [{"description": o.description, "category": o.category,
                     "max_penalty": o.max_penalty}
                    for o in instance.offences.all()] if self.editing else []
        self.rows = OffenceRows(data, rows=row_count(len(existing)), initial_rows=existing,
                                prefix="offence")

    def _add_new_subject(self) -> None:
        fields = _new_subject_fields()
        self.fields["subject"].required = False
        self.fields["subject"].help_text = _(
            "The pseudonymous reference of one of your organisation's subjects, such as "
            "SUBJ-4K7Q2M (type part of it, or whole words of the person's name, for "
            "suggestions); or leave it empty and register the person below.")
        self.fields.update(fields)
        self.fieldsets = (self.fieldsets[0],
                          (_("Or a person not registered yet"), tuple(fields)),
                          *self.fieldsets[1:])
        self.not_for_service = (*self.not_for_service, *fields)

    def clean(self):
        data = super().clean()
        if self.editing or "subject" in self._errors:
            return data
        if data.get("subject") and data.get(NEW_SUBJECT + "full_name"):
            self.add_error(NEW_SUBJECT + "full_name", _(
                "Name a registered subject or a new person, not both."))
        elif not data.get("subject") and not data.get(NEW_SUBJECT + "full_name"):
            self.add_error("subject", _(
                "Name a registered subject, or give the full name of a new person below."))
        return data

    def new_subject(self) -> dict | None:
        """The fields of a person to register with the case, if the form names one."""
        if self.editing or not self.cleaned_data.get(NEW_SUBJECT + "full_name"):
            return None
        return {name.removeprefix(NEW_SUBJECT): self.cleaned_data[name]
                for name in _new_subject_fields()}


class TransitionForm(ServiceForm, forms.Form):
    to = forms.ChoiceField(label=_("New status"))
    date = forms.DateField(label=_("Date"), required=False, widget=DateInput(),
                           help_text=_("Empty means today."))
    note = forms.CharField(label=_("Note"), required=False, max_length=5000,
                           widget=forms.Textarea,
                           help_text=_("Seen only inside your organisation."))
    closure_reason = forms.ChoiceField(
        label=_("Closure reason"), required=False,
        choices=[("", "—"), *Case.ClosureReason.choices],
        help_text=_("Only when monitoring closes."))
    start_monitoring = forms.BooleanField(
        label=_("Monitoring starts on the day of the surrender"), required=False, initial=True,
        help_text=_("Only with a surrender: the case moves on to active monitoring in the same "
                    "step, and its first visit is scheduled."))

    def __init__(self, data=None, files=None, *, case: Case):
        super().__init__(data, files)
        self.set_case(case)
        add_version(self, case)

    def set_case(self, case: Case) -> None:
        allowed = TRANSITIONS[case.status]
        offered = offered_transitions(case)
        choices = [(s, Case.Status(s).label) for s in offered["forward"] + offered["endings"]]
        if offered["back"]:
            choices.append((_("Back to an earlier stage"),
                            [(s, Case.Status(s).label) for s in offered["back"]]))
        self.fields["to"].choices = choices
        self.fields["to"].initial = choices[0][0] if choices else None
        self._optional("closure_reason", Case.Status.MONITORING_CLOSED in allowed)
        self._optional("start_monitoring", Case.Status.SURRENDERED in allowed)

    def _optional(self, name: str, present: bool) -> None:
        if not present:
            self.fields.pop(name, None)
        elif name not in self.fields:
            self.fields[name] = copy.deepcopy(self.base_fields[name])

    def clean(self):
        data = super().clean()
        # Monitoring starts with a surrender only: the box means nothing beside another move.
        data["start_monitoring"] = bool(
            data.get("start_monitoring") and data.get("to") == Case.Status.SURRENDERED)
        return data


# --- subjects --------------------------------------------------------------------------------


class SubjectForm(WithRows, ServiceForm, forms.ModelForm):
    fieldsets = (
        (_("Identity (seen only inside your organisation)"),
         ("full_name", "other_names", "date_of_birth", "contacts", "notes")),
        (_("Protection and risks"),
         ("refugee_status", "protection_state", "reprisal_risk", "do_not_contact")),
        (_("Consent"), ("consent_to_record", "consent_to_share")),
    )

    class Meta:
        model = Subject
        fields = [
            "full_name", "other_names", "date_of_birth", "contacts", "notes", "refugee_status",
            "protection_state", "reprisal_risk", "do_not_contact", "consent_to_record",
            "consent_to_share",
        ]
        widgets = _date_widgets("date_of_birth")

    def __init__(self, data=None, files=None, *, instance: Subject | None = None):
        self.editing = instance is not None
        super().__init__(data, files, instance=instance)
        if self.editing:
            add_version(self, instance)
        existing = [{"country": n.country, "acquired_on": n.acquired_on,
                     "lost_on": n.lost_on}
                    for n in instance.nationalities.select_related("country")
                    ] if self.editing else []
        self.rows = NationalityRows(data, rows=row_count(len(existing)), initial_rows=existing,
                                    prefix="nationality")


# --- assurances and proceedings --------------------------------------------------------------


class AssuranceForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = Assurance
        fields = [
            "type", "death_penalty_scope", "verbatim_text", "form", "binding", "issuer",
            "issuer_level", "given_on", "disclosed_to_court", "monitoring_who",
            "monitoring_frequency_days", "monitoring_private", "monitoring_unannounced",
            "monitoring_terms",
        ]
        widgets = _date_widgets("given_on")
        labels = {
            "type": _("Type"), "death_penalty_scope": _("Death penalty scope"),
            "verbatim_text": _("Verbatim text"), "form": _("Form"), "binding": _("Binding"),
            "issuer": _("Issuer"), "issuer_level": _("Issuer level"), "given_on": _("Given on"),
            "disclosed_to_court": _("Disclosed to court"),
            "monitoring_terms": _("Monitoring terms"),
        }

    def __init__(self, data=None, files=None, *, instance: Assurance | None = None):
        super().__init__(data, files, instance=instance)
        # The model layer's range checks are skipped (see ServiceForm): keep the number sane.
        frequency = self.fields["monitoring_frequency_days"]
        frequency.validators.append(MaxValueValidator(MAX_FREQUENCY_DAYS))
        frequency.widget.attrs["max"] = MAX_FREQUENCY_DAYS
        if instance is not None:
            add_version(self, instance)


class ProceedingForm(ServiceForm, forms.ModelForm):
    class Meta:
        model = ProceedingEvent
        fields = ["kind", "date", "authority", "consulted_state", "description", "outcome"]
        widgets = _date_widgets("date")
        labels = {
            "kind": _("Kind"), "date": _("Date"), "authority": _("Authority"),
            "consulted_state": _("Consulted state"), "description": _("Description"),
            "outcome": _("Outcome"),
        }
        help_texts = {
            "description": _("Seen only inside your organisation."),
            "outcome": _("Seen only inside your organisation."),
        }

    def __init__(self, data=None, files=None, *, instance: ProceedingEvent | None = None):
        super().__init__(data, files, instance=instance)
        if instance is not None:
            add_version(self, instance)
