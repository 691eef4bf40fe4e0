"""Reference data shipped by migrations: countries and legal instruments, each fact sourced."""

import functools
import gettext as gnu

import pycountry
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

# A date as precise as its source: "2005", "2015-04" or "2015-07-17".
partial_date_validator = RegexValidator(
    r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$",
    _("Use YYYY, YYYY-MM or YYYY-MM-DD."),
)


@functools.cache
def _country_names(language: str) -> gnu.NullTranslations:
    try:
        return gnu.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gnu.NullTranslations()


class Country(models.Model):
    code = models.CharField(_("ISO 3166-1 alpha-2"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    eu_member = models.BooleanField(_("EU member"), default=False)
    eea_member = models.BooleanField(_("EEA member"), default=False)
    coe_member = models.BooleanField(_("Council of Europe member"), default=False)
    memberships_as_of = models.DateField(_("memberships as of"), null=True, blank=True)
    memberships_source = models.CharField(_("source of memberships"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return f"{self.label} ({self.code})"

    @property
    def label(self) -> str:
        """The name in the reader's language, from pycountry's translations of ISO 3166 (the
        stored name is the English one, which the API gives)."""
        language = (get_language() or "en").split("-")[0]
        return self.name if language == "en" else _country_names(language).gettext(self.name)

    @property
    def in_eu_or_eea(self) -> bool:
        return self.eu_member or self.eea_member


class LegalInstrument(models.Model):
    class Kind(models.TextChoices):
        EXTRADITION_TREATY = "extradition_treaty", _("Extradition treaty")
        MLA_TREATY = "mla_treaty", _("Mutual legal assistance treaty")
        TRANSFER_TREATY = "transfer_treaty", _("Transfer of sentenced persons treaty")
        MOU = "mou", _("Memorandum of understanding")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        SIGNED = "signed", _("Signed")
        RATIFIED_BY_ONE_PARTY = "ratified_by_one_party", _("Ratified by one party")
        IN_FORCE = "in_force", _("In force")
        NOT_RATIFIED = "not_ratified", _("Not ratified")
        TERMINATED = "terminated", _("Terminated")

    party_a = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    party_b = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    title = models.CharField(max_length=300)
    signed_on = models.CharField(max_length=10, blank=True, validators=[partial_date_validator])
    ratified_a_on = models.CharField(
        max_length=10, blank=True, validators=[partial_date_validator]
    )
    ratified_b_on = models.CharField(
        max_length=10, blank=True, validators=[partial_date_validator]
    )
    in_force_on = models.CharField(max_length=10, blank=True, validators=[partial_date_validator])
    status = models.CharField(max_length=30, choices=Status.choices)
    # None means the sources do not say.
    nationality_exception = models.BooleanField(null=True)
    death_penalty_clause = models.BooleanField(null=True)
    torture_clause = models.BooleanField(null=True)
    fair_trial_clause = models.BooleanField(null=True)
    notes = models.TextField(blank=True, max_length=2000)
    source = models.CharField(max_length=500)
    recorded_on = models.DateField(_("facts recorded on"))

    class Meta:
        ordering = ["party_a__name", "party_b__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["party_a", "party_b", "kind"], name="uniq_instrument"),
            models.CheckConstraint(
                condition=~models.Q(party_a=models.F("party_b")), name="instrument_two_states"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The title in English, as its source gives it; in another language, the kind of
        instrument and its two parties in that language."""
        if (get_language() or "en").split("-")[0] == "en":
            return self.title
        return gettext("%(kind)s between %(a)s and %(b)s") % {
            "kind": self.get_kind_display(), "a": self.party_a.label, "b": self.party_b.label}
