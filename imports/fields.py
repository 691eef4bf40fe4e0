"""The fields a spreadsheet's columns can be mapped to, per kind of import, and the mapping
suggested from the headers: a header matches a field by its name, by its label in English,
French or German, or by the name of the column in this product's own exports."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Kind

TEXT, DATE, BOOL, CHOICE, COUNTRY, COUNTRIES, INSTRUMENT, MEMBER, GROUP, INTEGER, LIST = (
    "text", "date", "bool", "choice", "country", "countries", "instrument", "member", "group",
    "integer", "list",
)
MOMENT = "moment"


@dataclass(frozen=True)
class Field:
    name: str
    label: str | Promise
    type: str = TEXT
    # A row without it is refused (for records it creates; an update may leave it out).
    required: bool = False
    # The model field whose length and choices the value obeys, as "app.Model.field".
    model_field: str = ""
    # Identifies a person: its value is never quoted back, in errors or anywhere else.
    identifying: bool = False
    aliases: tuple[str, ...] = ()


_S, _C = "cases.Subject.", "cases.Case."
_A, _P, _O = "cases.Assurance.", "cases.ProceedingEvent.", "cases.Offence."
_F, _R, _N = "monitoring.FollowUp.", "monitoring.CheckReport.", "monitoring.Finding."
EXTERNAL = Field("external_reference", _("Your reference"), required=True,
                 aliases=("reference", "ref", "id", "référence", "referenz", "aktenzeichen"))
CASE_REFERENCE = Field(
    "case_reference", _("Case: your reference, or this product's"), required=True,
    aliases=("case", "case_external_reference", "dossier", "fall", "référence du dossier"))

FIELDS: dict[str, tuple[Field, ...]] = {
    Kind.CASES: (
        EXTERNAL,
        Field("subject_reference", _("Person: your reference"),
              aliases=("subject", "subject_external_reference", "person")),
        Field("subject_full_name", _("Person: full name"), required=True,
              model_field=_S + "full_name", identifying=True,
              aliases=("full_name", "name", "nom", "nom complet", "name der person")),
        Field("subject_other_names", _("Person: other names"), model_field=_S + "other_names",
              identifying=True, aliases=("other_names", "aliases", "alias")),
        Field("subject_date_of_birth", _("Person: date of birth"), DATE, identifying=True,
              aliases=("date_of_birth", "dob", "date de naissance", "geburtsdatum")),
        Field("subject_contacts", _("Person: contacts of family and lawyer"),
              model_field=_S + "contacts", identifying=True),
        Field("subject_notes", _("Person: notes"), model_field=_S + "notes", identifying=True),
        Field("subject_nationalities", _("Person: nationalities"), COUNTRIES,
              aliases=("nationalities", "nationality", "nationalité", "staatsangehörigkeit")),
        Field("subject_refugee_status", _("Person: refugee status"), CHOICE,
              model_field=_S + "refugee_status"),
        Field("subject_protection_state", _("Person: state of protection"), COUNTRY),
        Field("subject_reprisal_risk", _("Person: risk of reprisals"), BOOL),
        Field("subject_do_not_contact", _("Person: do not contact"), BOOL),
        Field("subject_consent_to_record", _("Person: consents to be recorded"), BOOL),
        Field("subject_consent_to_share", _("Person: consents to sharing"), BOOL),
        Field("requesting_state", _("Requesting state"), COUNTRY, required=True),
        Field("requested_state", _("Requested state"), COUNTRY, required=True),
        Field("channel", _("Channel"), CHOICE, required=True, model_field=_C + "channel"),
        Field("legal_instrument", _("Legal instrument"), INSTRUMENT),
        Field("legal_basis_note", _("Legal basis note"), model_field=_C + "legal_basis_note"),
        Field("interpol_notice", _("Interpol notice"), CHOICE, model_field=_C + "interpol_notice"),
        Field("interpol_reference", _("Interpol reference"),
              model_field=_C + "interpol_reference"),
        Field("request_date", _("Request date"), DATE),
        Field("arrest_date", _("Arrest date"), DATE),
        Field("decision_date", _("Decision date"), DATE),
        Field("surrender_date", _("Surrender date"), DATE),
        Field("status", _("Status"), CHOICE, model_field=_C + "status"),
        Field("status_changed_on", _("Status changed on"), DATE),
        Field("closure_reason", _("Closure reason"), CHOICE, model_field=_C + "closure_reason"),
        Field("distribution", _("Distribution"), CHOICE, model_field=_C + "distribution"),
        Field("tlp", _("TLP label"), CHOICE, model_field=_C + "tlp"),
        Field("sharing_group", _("Sharing group"), GROUP),
        Field("caseworker", _("Caseworker"), MEMBER),
        Field("offence_description", _("Offences: descriptions"), LIST,
              model_field=_O + "description", aliases=("offences", "offence", "infraction")),
        Field("offence_category", _("Offences: categories"), LIST, model_field=_O + "category"),
        Field("offence_max_penalty", _("Offences: maximum penalties"), LIST,
              model_field=_O + "max_penalty"),
        Field("consent_override_reason", _("Why it is shared without consent")),
    ),
    Kind.ASSURANCES: (
        EXTERNAL, CASE_REFERENCE,
        Field("type", _("Type"), CHOICE, required=True, model_field=_A + "type"),
        Field("verbatim_text", _("Verbatim text"), required=True,
              model_field=_A + "verbatim_text", aliases=("text", "texte", "wortlaut")),
        Field("form", _("Form"), CHOICE, required=True, model_field=_A + "form"),
        Field("issuer", _("Issuer"), required=True, model_field=_A + "issuer"),
        Field("issuer_level", _("Issuer level"), CHOICE, required=True,
              model_field=_A + "issuer_level"),
        Field("death_penalty_scope", _("Death penalty scope"), CHOICE,
              model_field=_A + "death_penalty_scope"),
        Field("binding", _("Binding"), BOOL),
        Field("given_on", _("Given on"), DATE),
        Field("disclosed_to_court", _("Disclosed to the court"), BOOL),
        Field("monitoring_who", _("Who may visit"), model_field=_A + "monitoring_who"),
        Field("monitoring_frequency_days", _("Visits every (days)"), INTEGER),
        Field("monitoring_private", _("Private visits"), BOOL),
        Field("monitoring_unannounced", _("Unannounced visits"), BOOL),
        Field("monitoring_terms", _("Monitoring terms"), model_field=_A + "monitoring_terms"),
    ),
    Kind.PROCEEDINGS: (
        EXTERNAL, CASE_REFERENCE,
        Field("kind", _("Kind"), CHOICE, required=True, model_field=_P + "kind"),
        Field("date", _("Date"), DATE, required=True),
        Field("authority", _("Authority"), model_field=_P + "authority"),
        Field("consulted_state", _("Consulted state"), COUNTRY),
        Field("description", _("Description"), model_field=_P + "description"),
        Field("outcome", _("Outcome"), model_field=_P + "outcome"),
    ),
    Kind.CHECKS: (
        EXTERNAL, CASE_REFERENCE,
        Field("checked_at", _("Checked on"), MOMENT, required=True,
              aliases=("date", "checked", "visit date", "date de la visite", "besuchsdatum")),
        Field("kind", _("Kind of check"), CHOICE, model_field=_F + "kind"),
        Field("mode", _("Mode"), CHOICE, model_field=_F + "mode"),
        Field("access", _("Access"), CHOICE, required=True, model_field=_R + "access"),
        Field("access_delay_hours", _("Access delayed by (hours)"), INTEGER),
        Field("refusal_reason", _("Reason given for the refusal"),
              model_field=_R + "refusal_reason"),
        Field("visitors", _("Who visited"), model_field=_R + "visitors"),
        Field("privacy", _("Privacy"), CHOICE, model_field=_R + "privacy"),
        Field("interpreter_independent", _("Independent interpreter"), BOOL),
        Field("doctor_present", _("Doctor present"), BOOL),
        Field("custody_phase", _("Custody phase"), CHOICE, model_field=_R + "custody_phase"),
        Field("facility", _("Facility"), model_field=_R + "facility"),
        Field("condition", _("Condition"), model_field=_R + "condition"),
        Field("allegations", _("Allegations"), model_field=_R + "allegations"),
        Field("legal_status", _("Legal status"), model_field=_R + "legal_status"),
        Field("family_contact", _("Contact with family"), model_field=_R + "family_contact"),
        Field("trial_observations", _("Trial observations"),
              model_field=_R + "trial_observations"),
        Field("narrative", _("Narrative"), model_field=_R + "narrative"),
        Field("finding_assurance", _("Findings: assurances (your reference or type)"), LIST,
              aliases=("assurances", "assurance")),
        Field("finding_outcome", _("Findings: outcomes"), LIST, model_field=_N + "outcome",
              aliases=("outcomes", "outcome")),
        Field("finding_severity", _("Findings: severities"), LIST, model_field=_N + "severity"),
        Field("finding_confidence", _("Findings: confidence"), LIST,
              model_field=_N + "confidence"),
    ),
}


def fields_of(kind: str) -> dict[str, Field]:
    return {f.name: f for f in FIELDS[kind]}


def normalise(header: str) -> str:
    """A header as compared: accents, case, punctuation and spacing left out."""
    text = unicodedata.normalize("NFKD", str(header)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()


def _names(item: Field) -> set[str]:
    names = {normalise(item.name), *(normalise(a) for a in item.aliases)}
    for language in ("en", "fr", "de"):
        with translation.override(language):
            names.add(normalise(str(item.label)))
    return names


def suggest(kind: str, headers: list[str]) -> dict[str, str]:
    """Header -> field for each header that names a field (each field taken once, by the first
    header that names it); "" for the others."""
    by_name: dict[str, str] = {}
    for item in FIELDS[kind]:
        for name in _names(item):
            by_name.setdefault(name, item.name)
    taken: set[str] = set()
    mapping = {}
    for header in headers:
        name = by_name.get(normalise(header), "")
        if name in taken:
            name = ""
        taken.add(name)
        mapping[header] = name
    return mapping


# An example row of each kind, for the file offered to start from (no real person in it).
EXAMPLES: dict[str, dict[str, str]] = {
    Kind.CASES: {
        "external_reference": "NGO-2024-017", "subject_reference": "P-0042",
        "subject_full_name": "Example Person", "subject_date_of_birth": "1980-02-03",
        "subject_nationalities": "CN", "subject_consent_to_share": "yes",
        "requesting_state": "CN", "requested_state": "FR", "channel": "extradition",
        "request_date": "2024-01-10", "status": "judicial_phase",
        "status_changed_on": "2024-02-01", "distribution": "organisation", "tlp": "amber",
        "offence_description": "Fraud; Bribery",
        "offence_category": "economic_corruption; economic_corruption",
    },
    Kind.ASSURANCES: {
        "external_reference": "NGO-2024-017-A1", "case_reference": "NGO-2024-017",
        "type": "no_death_penalty", "verbatim_text": "The death penalty will not be sought.",
        "form": "diplomatic_note", "issuer": "Ministry of Foreign Affairs",
        "issuer_level": "central_government", "given_on": "2024-03-01",
    },
    Kind.PROCEEDINGS: {
        "external_reference": "NGO-2024-017-H1", "case_reference": "NGO-2024-017",
        "kind": "hearing", "date": "2024-04-15", "authority": "Court of appeal",
    },
    Kind.CHECKS: {
        "external_reference": "NGO-2024-017-V1", "case_reference": "NGO-2024-017",
        "checked_at": "2024-06-10 10:30", "kind": "first_visit", "mode": "visit",
        "access": "granted", "finding_assurance": "no_death_penalty",
        "finding_outcome": "complied", "finding_severity": "low",
    },
}
