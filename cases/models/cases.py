import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation, SharingGroup
from .record_keys import RecordKeyField
from .reference import Country, LegalInstrument
from .sealed import OfCaseSubject, SealedTextField
from .search import reference_trigram_index
from .sharing import TLP, Distribution, sharing_group_iff_distribution
from .subjects import Subject


class CaseStatus(models.TextChoices):
    REQUEST_RECEIVED = "request_received", _("Request received")
    PROVISIONAL_ARREST = "provisional_arrest", _("Provisional arrest")
    NATIONALITY_CONSULTATION = "nationality_consultation", _("Nationality consultation")
    JUDICIAL_PHASE = "judicial_phase", _("Judicial phase")
    ASSURANCES_REQUESTED = "assurances_requested", _("Assurances requested")
    ASSURANCES_ASSESSED = "assurances_assessed", _("Assurances assessed")
    EXECUTIVE_DECISION = "executive_decision", _("Executive decision")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    SURRENDERED = "surrendered", _("Surrendered")
    MONITORING_ACTIVE = "monitoring_active", _("Monitoring active")
    MONITORING_CLOSED = "monitoring_closed", _("Monitoring closed")


_S = CaseStatus
INITIAL_STATUSES = (_S.REQUEST_RECEIVED, _S.PROVISIONAL_ARREST)
# The workflow of DESIGN.md §3. Withdrawal and refusal end a case at any point before surrender.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    _S.REQUEST_RECEIVED: (
        _S.PROVISIONAL_ARREST, _S.NATIONALITY_CONSULTATION, _S.JUDICIAL_PHASE,
        _S.REFUSED, _S.WITHDRAWN,
    ),
    _S.PROVISIONAL_ARREST: (
        _S.REQUEST_RECEIVED, _S.NATIONALITY_CONSULTATION, _S.JUDICIAL_PHASE,
        _S.REFUSED, _S.WITHDRAWN,
    ),
    _S.NATIONALITY_CONSULTATION: (_S.JUDICIAL_PHASE, _S.REFUSED, _S.WITHDRAWN),
    _S.JUDICIAL_PHASE: (
        _S.ASSURANCES_REQUESTED, _S.EXECUTIVE_DECISION, _S.REFUSED, _S.WITHDRAWN,
    ),
    _S.ASSURANCES_REQUESTED: (_S.ASSURANCES_ASSESSED, _S.REFUSED, _S.WITHDRAWN),
    _S.ASSURANCES_ASSESSED: (
        _S.ASSURANCES_REQUESTED, _S.EXECUTIVE_DECISION, _S.REFUSED, _S.WITHDRAWN,
    ),
    _S.EXECUTIVE_DECISION: (_S.SURRENDERED, _S.JUDICIAL_PHASE, _S.REFUSED, _S.WITHDRAWN),
    _S.SURRENDERED: (_S.MONITORING_ACTIVE,),
    _S.MONITORING_ACTIVE: (_S.MONITORING_CLOSED,),
    _S.REFUSED: (),
    _S.WITHDRAWN: (),
    _S.MONITORING_CLOSED: (),
}
# How far along the workflow each status lies: a move to a lower stage is a step back. A
# request and a provisional arrest are the same stage (either may come first).
STAGE: dict[str, int] = {
    _S.REQUEST_RECEIVED: 0, _S.PROVISIONAL_ARREST: 0, _S.NATIONALITY_CONSULTATION: 1,
    _S.JUDICIAL_PHASE: 2, _S.ASSURANCES_REQUESTED: 3, _S.ASSURANCES_ASSESSED: 4,
    _S.EXECUTIVE_DECISION: 5, _S.SURRENDERED: 6, _S.MONITORING_ACTIVE: 7,
    _S.MONITORING_CLOSED: 8, _S.REFUSED: 9, _S.WITHDRAWN: 9,
}
ENDINGS = (_S.REFUSED, _S.WITHDRAWN)


def workflow_position() -> models.Case:
    """A status's place in the workflow (the order of `CaseStatus`): what the case list sorts
    by when it sorts by status, and what an index of the cases holds for it."""
    return models.Case(
        *[models.When(status=status, then=models.Value(i))
          for i, status in enumerate(CaseStatus.values)],
        output_field=models.IntegerField(),
    )


class Case(models.Model):
    class Channel(models.TextChoices):
        EXTRADITION = "extradition", _("Extradition")
        DEPORTATION = "deportation", _("Deportation")
        IRREGULAR_RETURN = "irregular_return", _("Irregular return")
        MLA = "mutual_legal_assistance", _("Mutual legal assistance")

    class InterpolNotice(models.TextChoices):
        NONE = "none", _("None")
        RED = "red", _("Red Notice")
        BLUE = "blue", _("Blue Notice")
        DIFFUSION = "diffusion", _("Diffusion")
        OTHER = "other", _("Other")

    class ClosureReason(models.TextChoices):
        RELEASED = "released", _("Released")
        ACQUITTED = "acquitted", _("Acquitted")
        SENTENCE_SERVED = "sentence_served", _("Sentence served")
        TRANSFERRED = "transferred", _("Transferred")
        DIED = "died", _("Died")
        CONTACT_LOST = "contact_lost", _("Contact lost")

    Status = CaseStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    record_key = RecordKeyField()
    reference = models.CharField(max_length=30, unique=True)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="cases")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="cases")
    requesting_state = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    requested_state = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=30, choices=Channel.choices)
    legal_instrument = models.ForeignKey(
        LegalInstrument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        help_text=_("Empty when the surrender rests on ad hoc assurances."),
    )
    legal_basis_note = SealedTextField(blank=True, max_length=5000)
    interpol_notice = models.CharField(
        max_length=20, choices=InterpolNotice.choices, default=InterpolNotice.NONE
    )
    interpol_reference = SealedTextField(max_length=100, blank=True, single_line=True)

    request_date = models.DateField(null=True, blank=True)
    arrest_date = models.DateField(null=True, blank=True)
    decision_date = models.DateField(null=True, blank=True)
    surrender_date = models.DateField(_("surrender date (day 0)"), null=True, blank=True)

    status = models.CharField(
        max_length=30, choices=CaseStatus.choices, default=CaseStatus.REQUEST_RECEIVED
    )
    status_changed_on = models.DateField(null=True, blank=True)
    closure_reason = models.CharField(max_length=30, choices=ClosureReason.choices, blank=True)

    distribution = models.CharField(
        max_length=20, choices=Distribution.choices, default=Distribution.ORGANISATION
    )
    sharing_group = models.ForeignKey(
        SharingGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="cases"
    )
    tlp = models.CharField(_("TLP label"), max_length=20, choices=TLP.choices, default=TLP.AMBER)
    # TLP:RED records stay with these named people of the owner.
    # When the case was last opened to others (for recipients' inboxes).
    shared_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Who in the owning organisation works the case: its follow-ups are assigned to them.
    caseworker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_cases", verbose_name=_("caseworker"),
    )
    named_recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="red_cases"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["distribution", "sharing_group"]),
            models.Index(fields=["requesting_state", "status"]),
            # Every order the case lists offer, each with the lists' tie-breaker (the unique
            # reference): a page is read off an index in either direction, instead of a sort
            # of every case the reader may see. (The reference's own order is its unique
            # index.)
            models.Index(fields=["created_at", "reference"], name="case_created_order"),
            models.Index(fields=["updated_at", "reference"], name="case_changed_order"),
            models.Index(fields=["request_date", "reference"], name="case_request_date_order"),
            models.Index(fields=["surrender_date", "reference"], name="case_surrender_order"),
            models.Index(fields=["status_changed_on", "reference"],
                         name="case_status_changed_order"),
            models.Index(workflow_position(), models.F("reference"), name="case_workflow_order"),
            reference_trigram_index("case_reference_trgm"),
        ]
        constraints = [
            sharing_group_iff_distribution("case_sharing_group_iff_distribution"),
        ]

    def __str__(self) -> str:
        return self.reference

    def sealing_subject(self) -> Subject:
        return self.subject


class CaseReferenceSequence(models.Model):
    """The last number given for a reference prefix and year, e.g. FR-2026."""

    prefix = models.CharField(max_length=10)
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="uniq_case_reference_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last}"


class Offence(models.Model):
    class Category(models.TextChoices):
        ECONOMIC = "economic_corruption", _("Economic or corruption")
        TERRORISM = "terrorism", _("Terrorism")
        VIOLENT = "violent", _("Violent")
        DRUGS = "drugs", _("Drugs")
        CYBER = "cyber", _("Cyber")
        POLITICAL = "political", _("Political")
        OTHER = "other", _("Other")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="offences")
    description = models.CharField(max_length=500)
    category = models.CharField(max_length=30, choices=Category.choices)
    max_penalty = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description


class CaseTransition(OfCaseSubject, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=30, choices=CaseStatus.choices)
    to_status = models.CharField(max_length=30, choices=CaseStatus.choices)
    date = models.DateField()
    note = SealedTextField(blank=True, max_length=5000)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_status} → {self.to_status} on {self.date}"


class ProceedingEvent(OfCaseSubject, models.Model):
    class Kind(models.TextChoices):
        HEARING = "hearing", _("Hearing")
        DECISION = "decision", _("Decision")
        APPEAL = "appeal", _("Appeal")
        INTERIM_MEASURE = "interim_measure", _("Interim measure (e.g. ECtHR Rule 39)")
        CUSTODY_TRANSFER = "custody_transfer", _("Custody transfer")
        NATIONALITY_CONSULTATION = "nationality_consultation", _(
            "State of nationality informed (Petruhhin)"
        )
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proceedings")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    date = models.DateField()
    authority = models.CharField(max_length=300, blank=True)
    consulted_state = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("For a nationality consultation: the state of nationality informed."),
    )
    description = SealedTextField(blank=True, max_length=20000)
    outcome = SealedTextField(blank=True, max_length=5000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["date", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="nationality_consultation")
                | models.Q(consulted_state__isnull=False),
                name="consultation_names_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.case}, {self.date})"


class Assurance(models.Model):
    class Type(models.TextChoices):
        NO_DEATH_PENALTY = "no_death_penalty", _("No death penalty")
        NO_TORTURE = "no_torture", _("No torture or ill-treatment")
        FAIR_TRIAL = "fair_trial", _("Fair trial")
        DETENTION_CONDITIONS = "detention_conditions", _("Detention conditions")
        MONITORING_ACCESS = "monitoring_access", _("Monitoring access")
        LAWYER_ACCESS = "lawyer_access", _("Access to a lawyer")
        FAMILY_CONTACT = "family_contact", _("Family contact")
        SPECIALITY = "speciality", _("Speciality")
        NO_PERSECUTION = "no_persecution", _("No persecution")
        OTHER = "other", _("Other")

    class DeathPenaltyScope(models.TextChoices):
        NOT_SOUGHT = "not_sought", _("Not sought")
        NOT_IMPOSED = "not_imposed", _("Not imposed")
        NOT_CARRIED_OUT = "not_carried_out", _("Not carried out")

    class Form(models.TextChoices):
        TREATY_CLAUSE = "treaty_clause", _("Treaty clause")
        DIPLOMATIC_NOTE = "diplomatic_note", _("Diplomatic note")
        MOU = "mou", _("Memorandum of understanding")
        ORAL = "oral", _("Oral")
        OTHER = "other", _("Other")

    class IssuerLevel(models.TextChoices):
        CENTRAL_GOVERNMENT = "central_government", _("Central government")
        EMBASSY = "embassy", _("Embassy")
        COURT = "court", _("Court")
        PROCURATORATE = "procuratorate", _("Procuratorate")
        OTHER = "other", _("Other")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assurances")
    type = models.CharField(max_length=30, choices=Type.choices)
    death_penalty_scope = models.CharField(
        max_length=20, choices=DeathPenaltyScope.choices, blank=True
    )
    verbatim_text = models.TextField(max_length=20000)
    form = models.CharField(max_length=20, choices=Form.choices)
    binding = models.BooleanField(null=True, help_text=_("Empty when not known."))
    issuer = models.CharField(max_length=300)
    issuer_level = models.CharField(max_length=30, choices=IssuerLevel.choices)
    given_on = models.DateField(null=True, blank=True)
    disclosed_to_court = models.BooleanField(null=True)
    monitoring_who = models.CharField(_("who may visit"), max_length=500, blank=True)
    monitoring_frequency_days = models.PositiveIntegerField(
        _("visits at least every N days"), null=True, blank=True
    )
    monitoring_private = models.BooleanField(_("visits in private"), null=True)
    monitoring_unannounced = models.BooleanField(_("unannounced visits"), null=True)
    monitoring_terms = models.TextField(blank=True, max_length=5000)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(type="no_death_penalty") | models.Q(death_penalty_scope=""),
                name="death_penalty_scope_only_for_death_penalty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} ({self.case})"
