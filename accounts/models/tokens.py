"""API tokens: knox's hashed token, with a name, a scope and what kills it."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    """A token a person uses in scripts; only a hash of its secret is kept (knox's digest), the
    secret itself is shown once, when it is made."""

    class Scope(models.TextChoices):
        READ_ONLY = "read_only", _("Read only")
        READ_WRITE = "read_write", _("Read and write")

    # A number to name the token by in addresses and the audit log; knox makes the digest the
    # key, and a digest is nothing to show.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True)
    name = models.CharField(_("name"), max_length=100)
    scope = models.CharField(_("scope"), max_length=20, choices=Scope.choices,
                             default=Scope.READ_ONLY)
    # Every token expires (knox allows none).
    expiry = models.DateTimeField(_("expires"))
    last_used = models.DateTimeField(_("last used"), null=True, blank=True)
    # The user's session hash when the token was made: a new password changes it, and the
    # token stops working, as Django's sessions do.
    password_fingerprint = models.CharField(max_length=128, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(scope__in=["read_only", "read_write"]),
                                   name="accounts_apitoken_scope_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def expired(self) -> bool:
        return self.expiry <= timezone.now()

    @property
    def read_only(self) -> bool:
        return self.scope == self.Scope.READ_ONLY
