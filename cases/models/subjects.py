import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .organisations import Organisation
from .reference import Country

# Crockford's base32 without I, L, O, U: no letters that read as digits or words.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_subject_reference() -> str:
    return "SUBJ-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


class Subject(models.Model):
    """The person. Only `reference` and the non-identifying fields leave the owner."""

    # Fields that identify the person: shown only to the owner's roles that may see them, and
    # every display of them is an audit event.
    IDENTIFYING_FIELDS = ("full_name", "other_names", "date_of_birth", "contacts", "notes")

    class RefugeeStatus(models.TextChoices):
        NONE = "none", _("None known")
        ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
        REFUGEE = "refugee", _("Recognised refugee")
        SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
        OTHER = "other", _("Other protection")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, default=new_subject_reference)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="subjects")

    full_name = models.CharField(max_length=300)
    other_names = models.TextField(blank=True, max_length=2000)
    date_of_birth = models.DateField(null=True, blank=True)
    contacts = models.TextField(
        _("contacts of family and lawyer"), blank=True, max_length=5000
    )
    notes = models.TextField(blank=True, max_length=20000)

    refugee_status = models.CharField(
        max_length=30, choices=RefugeeStatus.choices, default=RefugeeStatus.NONE
    )
    protection_state = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The state that granted or is examining protection."),
    )
    reprisal_risk = models.BooleanField(default=False)
    do_not_contact = models.BooleanField(default=False)
    consent_to_record = models.BooleanField(default=False)
    consent_to_share = models.BooleanField(default=False)

    created_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        # Never the name: this string may reach logs, errors and other organisations.
        return self.reference


class SubjectNationality(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="nationalities")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    acquired_on = models.DateField(null=True, blank=True)
    lost_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["country_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject", "country", "acquired_on"], name="uniq_subject_nationality"
            ),
            models.CheckConstraint(
                condition=models.Q(lost_on__isnull=True)
                | models.Q(acquired_on__isnull=True)
                | models.Q(lost_on__gte=models.F("acquired_on")),
                name="nationality_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.country_id

    @property
    def current(self) -> bool:
        return self.lost_on is None
