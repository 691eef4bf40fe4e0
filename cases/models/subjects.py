import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .. import crypto
from .keys import DataKey, SubjectNameDigest
from .organisations import Organisation
from .reference import Country
from .sealed import Sealed, SealedDateField, SealedTextField
from .search import reference_trigram_index

# Crockford's base32 without I, L, O, U: no letters that read as digits or words.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_subject_reference() -> str:
    return "SUBJ-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


class Subject(models.Model):
    """The person. Only `reference` and the non-identifying fields leave the owner."""

    # Fields that identify the person: shown only to the owner's roles that may see them, and
    # every display of them is an audit event.
    IDENTIFYING_FIELDS = ("full_name", "other_names", "date_of_birth", "contacts", "notes")

    class ErasureReason(models.TextChoices):
        DATA_PROTECTION_REQUEST = "data_protection_request", _("Data-protection request")
        DEATH = "death", _("Death of the person")
        END_OF_RETENTION = "end_of_retention", _("End of retention")

    class RefugeeStatus(models.TextChoices):
        NONE = "none", _("None known")
        ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
        REFUGEE = "refugee", _("Recognised refugee")
        SUBSIDIARY_PROTECTION = "subsidiary_protection", _("Subsidiary protection")
        OTHER = "other", _("Other protection")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(max_length=20, unique=True, default=new_subject_reference)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="subjects")

    # Sealed under the subject's data key (cases.crypto); found by name through `name_digests`.
    full_name = SealedTextField(max_length=300, single_line=True)
    other_names = SealedTextField(blank=True, max_length=2000)
    date_of_birth = SealedDateField(null=True, blank=True)
    contacts = SealedTextField(
        _("contacts of family and lawyer"), blank=True, max_length=5000
    )
    notes = SealedTextField(blank=True, max_length=20000)

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

    # Erasure (cases.services.erasure): the data key destroyed, the identifiers emptied.
    erased_at = models.DateTimeField(null=True, blank=True)
    erased_by = models.ForeignKey(
        "auth.User", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    erasure_reason = models.CharField(max_length=30, choices=ErasureReason.choices, blank=True)
    # When the org admins were told that retention will erase the identifiers: at least 30
    # days before it does.
    erasure_noticed_on = models.DateField(null=True, blank=True, editable=False)

    # Declared last: saving a new subject makes its data key while sealing the fields above,
    # and the key's id is read after them.
    data_key = models.ForeignKey(DataKey, on_delete=models.PROTECT, null=True, blank=True,
                                 editable=False, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A case search matches its subject's reference too.
            reference_trigram_index("subject_reference_trgm"),
            # The list's order, with its tie-breaker: a page is read off it, not a sort of
            # every subject the reader may see. (The reference's order is its unique index.)
            models.Index(fields=["created_at", "id"], name="subject_created_order"),
        ]

    def __str__(self) -> str:
        # Never the name: this string may reach logs, errors and other organisations.
        return self.reference

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Names set on this instance (not merely read back) go into the name index.
        if not all(isinstance(self.__dict__.get(n), Sealed) for n in ("full_name", "other_names")):
            self.index_names()

    def sealing_subject(self) -> "Subject":
        return self

    def index_names(self) -> None:
        """The name index entries of the subject, from its names as they are now (none once
        its identifiers are erased)."""
        wanted = set() if self.erased_at else crypto.subject_digests(self.full_name,
                                                                     self.other_names)
        stored = set(self.name_digests.values_list("digest", flat=True))
        if stored - wanted:
            self.name_digests.filter(digest__in=stored - wanted).delete()
        SubjectNameDigest.objects.bulk_create(
            [SubjectNameDigest(subject=self, digest=d) for d in wanted - stored])


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
