from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .reference import Country


class Organisation(models.Model):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        MINISTRY = "ministry", _("Ministry")
        EMBASSY = "embassy", _("Embassy or consulate")
        COURT = "court", _("Court")
        EU_BODY = "eu_body", _("EU body")
        AUDIT_BODY = "audit_body", _("Audit body")
        OTHER = "other", _("Other")

    class ShareWithoutConsent(models.TextChoices):
        REASON = "reason", _("Only with a reason, recorded in the audit log")
        REFUSE = "refuse", _("Never")

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    # Whether every member must sign in with a second factor (platform staff always must).
    mfa_required = models.BooleanField(
        _("two factors required"), default=True,
        help_text=_("Every member signs in with a second factor after the password."),
    )
    # Identifiers of subjects whose cases all closed this many years ago are erased (none
    # when empty): cases.services.erasure, run daily.
    retention_years = models.PositiveSmallIntegerField(
        _("retention of identifiers (years)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("Erase the identifiers of a subject this many years after its last case "
                    "closed. Empty: kept until erased by hand."),
    )
    # What sharing a case or finding beyond the organisation takes when its subject withheld
    # consent to share: a reason recorded in the audit log, or nothing will do.
    share_without_consent = models.CharField(
        _("sharing without the subject's consent"), max_length=10,
        choices=ShareWithoutConsent.choices, default=ShareWithoutConsent.REASON,
        help_text=_("When a subject withheld consent to share, whether their cases and findings "
                    "may still be shared beyond the organisation."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Caseworker")
        LIAISON = "liaison", _("Liaison")
        AUDITOR = "auditor", _("Auditor")
        ORG_ADMIN = "org_admin", _("Organisation admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["organisation__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="uniq_membership"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} · {self.role}"


class Invitation(models.Model):
    """An account asked to join an organisation: it becomes a member only once it accepts.

    An organisation's admins invite an account that already belongs to another organisation,
    so that nobody is attached to an organisation without knowing it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invitations"
    )
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], condition=models.Q(status="pending"),
                name="uniq_pending_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} invited to {self.organisation} as {self.role}"


class SharingGroup(models.Model):
    """A named set of organisations that records may be distributed to."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="owned_sharing_groups"
    )
    members = models.ManyToManyField(
        Organisation, through="SharingGroupMembership", related_name="sharing_groups"
    )
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="uniq_sharing_group_name"),
        ]

    def __str__(self) -> str:
        return self.name


class SharingGroupMembership(models.Model):
    group = models.ForeignKey(SharingGroup, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sharing_group_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "organisation"], name="uniq_sharing_group_member"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} in {self.group}"
